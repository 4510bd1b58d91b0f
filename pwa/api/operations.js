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
    people { personId displayName condition needs reportedAt disputed hasAccount }`;

export const ShelterStatus = `query ShelterStatus($shelterId: ID!, $incidentId: ID!) {
  shelterStatus(shelterId: $shelterId, incidentId: $incidentId) {
    ${SHELTER_STATUS_FIELDS}
  }
}`;

export const ShelterStatusChanged = `subscription ShelterStatusChanged($shelterId: ID!, $incidentId: ID!) {
  shelterStatusChanged(shelterId: $shelterId, incidentId: $incidentId) {
    ${SHELTER_STATUS_FIELDS}
  }
}`;
