import type { RestClient } from '../../src/client/rest.js';

export interface ReviewedUser {
  username: string;
  groups?: string[];
  uid?: string;
}

/** Who the server takes the client for: a SelfSubjectReview, as `kubectl auth whoami` makes. */
export async function whoami(c: RestClient): Promise<ReviewedUser> {
  const review = await c.request<{ status: { userInfo: ReviewedUser } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
  });
  return review.status.userInfo;
}
