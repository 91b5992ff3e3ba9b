import { describe, expect, it } from 'vitest';
import { formatReference, normalizeImage, registryApiHost, registryScheme, repository } from '../../../../src/dataplane/kubelet/images/reference.js';

const D = `sha256:${'a'.repeat(64)}`;
const norm = (s: string): string => formatReference(normalizeImage(s));

describe('image reference normalisation', () => {
  it('follows the docker rules for short names', () => {
    expect(norm('busybox')).toBe('docker.io/library/busybox:latest');
    expect(norm('busybox:1.36')).toBe('docker.io/library/busybox:1.36');
    expect(norm('user/app')).toBe('docker.io/user/app:latest');
    expect(norm('docker.io/busybox')).toBe('docker.io/library/busybox:latest');
    expect(norm('index.docker.io/library/busybox:1')).toBe('docker.io/library/busybox:1');
    expect(norm('a/b/c:v')).toBe('docker.io/a/b/c:v');
  });

  it('treats a first component with a dot, a port or "localhost" as a registry host', () => {
    expect(norm('127.0.0.1:5000/app:v1')).toBe('127.0.0.1:5000/app:v1');
    expect(norm('localhost/app')).toBe('localhost/app:latest');
    expect(norm('registry.k8s.io/pause:3.9')).toBe('registry.k8s.io/pause:3.9');
    expect(norm('Registry/app')).toBe('Registry/app:latest');
    const r = normalizeImage('quay.io:443/org/app');
    expect(r).toEqual({ domain: 'quay.io:443', path: 'org/app', tag: 'latest' });
    expect(repository(r)).toBe('quay.io:443/org/app');
  });

  it('keeps digests and adds no default tag to them', () => {
    expect(norm(`busybox@${D}`)).toBe(`docker.io/library/busybox@${D}`);
    expect(normalizeImage(`busybox:1.36@${D}`)).toEqual({ domain: 'docker.io', path: 'library/busybox', tag: '1.36', digest: D });
  });

  it('refuses malformed references with distribution/reference messages', () => {
    expect(() => normalizeImage('Busybox')).toThrow('invalid reference format: repository name (library/Busybox) must be lowercase');
    expect(() => normalizeImage('busybox:bad tag')).toThrow('invalid reference format');
    expect(() => normalizeImage('a'.repeat(64))).toThrow('cannot specify 64-byte hexadecimal strings');
    expect(() => normalizeImage('busybox@sha256:abc')).toThrow('invalid reference format');
    expect(() => normalizeImage(`busybox@sha256:${'A'.repeat(64)}`)).toThrow('invalid checksum digest format');
    expect(() => normalizeImage(`busybox@md5:${'a'.repeat(64)}`)).toThrow('unsupported digest algorithm');
    expect(() => normalizeImage('')).toThrow();
    expect(() => normalizeImage(`x/${'a'.repeat(260)}`)).toThrow('repository name must not be more than 255 characters');
  });

  it('talks plain HTTP only to loopback registries and maps Docker Hub to its API host', () => {
    expect(registryScheme('127.0.0.1:5000')).toBe('http');
    expect(registryScheme('localhost')).toBe('http');
    expect(registryScheme('[::1]:5000')).toBe('http');
    expect(registryScheme('127.0.0.1.example.com')).toBe('https');
    expect(registryScheme('quay.io')).toBe('https');
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });
});
