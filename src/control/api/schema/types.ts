/** The OpenAPI schema shape Skiff publishes (Swagger 2.0 flavour; openapi/v3.ts converts it to OpenAPI 3.0). */

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  /** `#/definitions/<name>` (Swagger 2.0 form). */
  $ref?: string;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  /** `atomic` or `granular` (custom resources' schemas carry it). */
  'x-kubernetes-map-type'?: string;
  default?: unknown;
}

export type Definitions = Record<string, Schema>;

export const REF_PREFIX = '#/definitions/';
