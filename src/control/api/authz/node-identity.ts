/**
 * Who is a node, as upstream's nodeidentifier.NewDefaultNodeIdentifier: a user named system:node:<name> in the
 * system:nodes group. Both the Node authoriser and the NodeRestriction admission plugin ask this first.
 */
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

/**
 * The node's name for a node identity ('' when the name after the prefix is empty: a node that cannot be told
 * apart, refused by both); undefined for every other user.
 */
export function nodeIdentity(user: { name: string; groups: readonly string[] } | undefined): string | undefined {
  if (!user || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  if (!user.groups.includes(NODES_GROUP)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length);
}
