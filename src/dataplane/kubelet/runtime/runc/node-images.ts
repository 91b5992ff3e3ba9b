/**
 * node.status.images from the image store, as the kubelet's nodestatus.Images setter makes it: biggest image
 * first, at most 50 images (nodeStatusMaxImages), each with at most 5 names, digests before tags.
 */
import type { StoredImage } from '../../images/types.js';
import type { NodeImage } from '../../types.js';

export const MAX_NODE_STATUS_IMAGES = 50;
export const MAX_NAMES_PER_IMAGE = 5;

export function nodeImages(images: readonly StoredImage[], max = MAX_NODE_STATUS_IMAGES): NodeImage[] {
  return [...images]
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, Math.max(0, max))
    .map((img) => {
      const names = [...new Set([img.imageID, ...img.names])].filter(Boolean);
      const digests = names.filter((n) => n.includes('@'));
      const tags = names.filter((n) => !n.includes('@'));
      return { names: [...digests, ...tags].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: img.sizeBytes };
    });
}
