import { describe, expect, it } from 'vitest';
import {
  CLOSE, ERROR, RESIZE, STDERR, STDIN, STDOUT, V4, V5, closeFrame, exitCodeStatus, frame, frames, negotiateProtocol, parseInbound, parseResize,
  statusForExit, statusFrame,
} from '../../../../src/dataplane/kubelet/streaming/channels.js';

describe('channel.k8s.io framing', () => {
  it('negotiates v5 before v4 whatever the client order; nothing for unknown protocols', () => {
    expect(negotiateProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io'])).toBe(V5);
    expect(negotiateProtocol([' v4.channel.k8s.io', 'v3.channel.k8s.io'])).toBe(V4);
    expect(negotiateProtocol(['v3.channel.k8s.io', 'base64.channel.k8s.io'])).toBeUndefined();
  });

  it('frames data behind its channel byte and never makes an empty message', () => {
    expect([...frame(STDOUT, 'hi')]).toEqual([1, 0x68, 0x69]);
    expect([...frame(STDERR, Buffer.from([7]))]).toEqual([2, 7]);
    expect(frames(STDOUT, Buffer.alloc(0))).toEqual([]);
    const parts = frames(STDOUT, Buffer.alloc(10, 1), 4);
    expect(parts.map((p) => p.length)).toEqual([5, 5, 3]);
    expect(parts.every((p) => p[0] === STDOUT)).toBe(true);
    expect([...closeFrame(STDIN)]).toEqual([CLOSE, STDIN]);
  });

  it('reads stdin, resize and (v5 only) close messages; ignores the rest with a reason', () => {
    expect(parseInbound(Buffer.from([STDIN, 0x61]), V5)).toEqual({ kind: 'stdin', data: Buffer.from('a') });
    expect(parseInbound(Buffer.concat([Buffer.from([RESIZE]), Buffer.from('{"Width":120,"Height":40}')]), V4)).toEqual({ kind: 'resize', width: 120, height: 40 });
    expect(parseInbound(Buffer.from([CLOSE, STDIN]), V5)).toEqual({ kind: 'close', channel: STDIN });
    expect(parseInbound(Buffer.from([CLOSE, STDIN]), V4).kind).toBe('ignored');
    expect(parseInbound(Buffer.from([STDOUT, 1]), V5)).toEqual({ kind: 'ignored', reason: 'channel 1: not written by clients' });
    expect(parseInbound(Buffer.alloc(0), V5).kind).toBe('ignored');
    expect(parseInbound(Buffer.concat([Buffer.from([RESIZE]), Buffer.from('{"Width":-1,"Height":2}')]), V5).kind).toBe('ignored');
  });

  it('parses terminal sizes strictly', () => {
    expect(parseResize(Buffer.from('{"Width":80,"Height":24}'))).toEqual({ width: 80, height: 24 });
    expect(parseResize(Buffer.from('{"Width":80}'))).toBeUndefined();
    expect(parseResize(Buffer.from('[80,24]'))).toBeUndefined();
    expect(parseResize(Buffer.from('nope'))).toBeUndefined();
  });

  it('writes the exit status on the error channel as the kubelet: Success, or NonZeroExitCode with cause ExitCode', () => {
    expect(statusForExit(['true'], 0)).toEqual({ metadata: {}, status: 'Success' });
    const s = exitCodeStatus(['sh', '-c', 'exit 3'], 3);
    expect(s).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    expect(s.message).toBe('command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3');
    const f = statusFrame(s);
    expect(f[0]).toBe(ERROR);
    expect(JSON.parse(f.subarray(1).toString())).toEqual(s);
  });
});
