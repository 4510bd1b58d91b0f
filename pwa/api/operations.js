// The GraphQL operations the PWA sends, named as in graphql/operations/ (API.md names are fixed).

export const Register = `mutation Register($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on AuthSuccess { token user { id } }
    ... on AuthError { code message }
  }
}`;

export const Login = `mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on AuthSuccess { token user { id } }
    ... on AuthError { code message }
  }
}`;

export const Logout = `mutation Logout { logout { ok } }`;

export const Me = `query Me { me { id displayName email locale languages roles { role scopeId } } }`;

export const Push = `mutation Push($input: PushInput!) {
  push(input: $input) {
    results { mutationId seq status code message entityType entityId version changeSeq }
    lastProcessedSeq
    serverEpoch
    serverTime
    clockOffsetMs
    retryAfterMs
    state
  }
}`;

export const Pull = `query Pull($input: PullInput!) {
  pull(input: $input) {
    changes { entityType entityId op version changeSeq data }
    cursor
    hasMore
    resetRequired
    serverEpoch
  }
}`;

export const RollCall = `query RollCall($associationId: ID!, $incidentId: ID!) {
  rollCall(associationId: $associationId, incidentId: $incidentId) {
    unansweredCount
    households { id label address answered latestCondition members }
  }
}`;

const SHELTER_STATUS_FIELDS = `shelterId incidentId isOpen occupancy capacity crowding
    counts { condition count }
    needs { need count }
    peopleVisible
    people(first: $people) { personId displayName condition needs reportedAt disputed hasAccount }`;

export const ShelterStatus = `query ShelterStatus($shelterId: ID!, $incidentId: ID!, $people: Int = 100) {
  shelterStatus(shelterId: $shelterId, incidentId: $incidentId) {
    ${SHELTER_STATUS_FIELDS}
  }
}`;

export const ShelterStatusChanged = `subscription ShelterStatusChanged($shelterId: ID!, $incidentId: ID!, $people: Int = 100) {
  shelterStatusChanged(shelterId: $shelterId, incidentId: $incidentId) {
    ${SHELTER_STATUS_FIELDS}
  }
}`;

// Board and marketplace (graphql/operations/board/CircularReceipts.graphql, market/Listings.graphql).
export const CircularReceipts = `query CircularReceipts($postId: ID!, $unreadOnly: Boolean) {
  circularReceipts(postId: $postId, unreadOnly: $unreadOnly) {
    readCount
    unreadCount
    households { id label address read informed rsvp }
    rsvp { attend absent undecided }
  }
}`;

export const Listings = `query Listings($near: GeoPointInput!, $radiusMeters: Float, $kind: ListingKind,
    $category: ListingCategory, $first: Int, $after: String) {
  listings(near: $near, radiusMeters: $radiusMeters, kind: $kind, category: $category, first: $first, after: $after) {
    edges { cursor node { id kind category title quantity quantityLeft distanceMeters lat lon status sameAssociation isMine ownerName } }
    pageInfo { hasNextPage endCursor }
  }
}`;

// Web Push (graphql/operations/push/): online only, never queued (a subscription is this device's).
const PUSH_SUBSCRIPTION_FIELDS = 'id endpoint locale categories associationIds quietHours { start end timeZone }';

export const VapidPublicKey = 'query VapidPublicKey { vapidPublicKey }';

export const PushSubscription = `query PushSubscription($endpoint: String!) {
  pushSubscription(endpoint: $endpoint) { ${PUSH_SUBSCRIPTION_FIELDS} }
}`;

export const SubscribePush = `mutation SubscribePush($input: SubscribePushInput!) {
  subscribePush(input: $input) {
    __typename
    ... on PushSubscription { ${PUSH_SUBSCRIPTION_FIELDS} }
    ... on PushError { code message }
  }
}`;

export const UnsubscribePush = `mutation UnsubscribePush($endpoint: String!) {
  unsubscribePush(endpoint: $endpoint) {
    __typename
    ... on PushUnsubscribed { endpoint removed }
    ... on PushError { code message }
  }
}`;

// Leaders hide or show again a post or comment (graphql/operations/board/Moderate.graphql).
export const Moderate = `mutation Moderate($targetType: ReportTarget!, $targetId: ID!, $hidden: Boolean!, $reason: String) {
  moderate(targetType: $targetType, targetId: $targetId, hidden: $hidden, reason: $reason) {
    __typename
    ... on ModerationResult { targetId hidden reason version }
    ... on BoardError { code message }
  }
}`;
