"""`otagai drill`: a whole-ward disaster drill (防災訓練) against a real server, with faults."""
