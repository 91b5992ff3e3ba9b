/**
 * A terminal for `kubectl exec -t`. `runc exec -t` in the foreground wants a controlling terminal of its own
 * (it opens /dev/tty, puts it in raw mode and copies it to and from the container's console), and the
 * alternative (--console-socket) hands over a file descriptor, which Node cannot receive. So runc runs under
 * a pseudo-terminal made by a small constant Python program (python3's pty module): it copies our pipes to and
 * from the terminal and applies window sizes sent on fd 3 ("<cols> <rows>\n"), which reach the container as
 * SIGWINCH through runc. Its exit status is runc's (the exec'd process's), 128+signal when killed.
 */

export const PTY_HELPER = String.raw`
import fcntl, os, pty, select, signal, struct, sys, termios, tty
pid, master = pty.fork()
if pid == 0:
    tty.setraw(0)  # runc does too once started; before that, typed input must not echo here
    try:
        os.close(3)  # the window-size channel is the parent's
    except OSError:
        pass
    os.execvp(sys.argv[1], sys.argv[1:])
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
def size(line):
    try:
        cols, rows = (int(x) for x in line.split())
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    except Exception:
        pass
inputs, ctl = [0, master, 3], b''
while master in inputs:
    r, _, _ = select.select(inputs, [], [])
    for fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if fd == master:
            if not data:
                inputs.remove(master)
            else:
                os.write(1, data)
        elif fd == 0:
            if not data:
                inputs.remove(0)
            else:
                os.write(master, data)
        else:
            if not data:
                inputs.remove(3)
            ctl += data
            while b'\n' in ctl:
                line, ctl = ctl.split(b'\n', 1)
                size(line)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
`;

/** The resize message for the helper's fd 3. */
export function resizeMessage(cols: number, rows: number): string {
  const c = Math.max(0, Math.min(65535, Math.floor(cols)));
  const r = Math.max(0, Math.min(65535, Math.floor(rows)));
  return `${c} ${r}\n`;
}
