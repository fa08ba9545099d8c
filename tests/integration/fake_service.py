#!/usr/bin/python3
# A fake secsockd for attack-control.sh, run as another local user: it
# listens where the real service was (or where a forged control file
# points), records every byte it receives, and answers as well as one can
# without the secret, trying another trick on each connection:
#   0: CHALLENGE with a random nonce and a random proof
#   1: HELLO_OK at once, as a version 2 service would have after HELLO
#   2: CHALLENGE whose proof is the client's own nonce (a reflection)
#   3: silence
# Whatever comes after, PROOF is answered with HELLO_OK and any request
# with CONNECT_VERDICT DIRECT ("send in clear").
#   fake_service.py PORT RECORDFILE PORTFILE SECONDS [VERSION]   (PORT 0: any free port)
# VERSION (default 4) is the control protocol version its frames carry: a
# service of another version must be refused by the client, not parsed.
# A port the dead service left in TIME_WAIT (its control connections) is
# tried again until it is free, as an attacker would; PORTFILE is written
# once the fake listens.
import os, socket, struct, sys, threading, time

MAGIC, VERSION = 0x4b435353, 4
HELLO, HELLO_OK, CONNECT, CONNECT_VERDICT, BIND, BIND_VERDICT, CHALLENGE, PROOF = 1, 2, 4, 5, 6, 7, 20, 21
port, record, portfile, seconds = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
if len(sys.argv) > 5:
    VERSION = int(sys.argv[5])
lock = threading.Lock()


def frame(msg_type, payload):
    return struct.pack('<IHHI', MAGIC, VERSION, msg_type, len(payload)) + payload


def direct_verdict():
    # verdict DIRECT, no error, no flags, relay AF_UNSPEC, backend "none", not to be cached
    return frame(CONNECT_VERDICT, struct.pack('<BII', 1, 0, 0) + bytes(24) + struct.pack('<H', 4) + b'none' +
                 struct.pack('<I', 0))


def serve(conn, trick):
    conn.settimeout(3)
    got = b''
    sent_first = False
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            with lock, open(record, 'ab') as f:
                f.write(data)
            got += data
            while len(got) >= 12:
                _, _, msg_type, length = struct.unpack('<IHHI', got[:12])
                if len(got) < 12 + length:
                    break
                payload, got = got[12:12 + length], got[12 + length:]
                if msg_type == HELLO and not sent_first:
                    sent_first = True
                    if trick == 0:
                        conn.sendall(frame(CHALLENGE, os.urandom(64)))
                    elif trick == 1:
                        conn.sendall(frame(HELLO_OK, struct.pack('<II', os.getpid(), 0)))
                    elif trick == 2:
                        conn.sendall(frame(CHALLENGE, os.urandom(32) + payload[:32]))
                elif msg_type == PROOF:
                    conn.sendall(frame(HELLO_OK, struct.pack('<II', os.getpid(), 0)))
                elif msg_type in (CONNECT, BIND):
                    conn.sendall(direct_verdict())
    except OSError:
        pass
    conn.close()


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
start = time.time()
while True:
    try:
        listener.bind(('127.0.0.1', port))
        break
    except OSError:
        if time.time() - start > 90:
            raise
        time.sleep(0.2)
print('fake service: listening on port %d after %.1f s' % (listener.getsockname()[1], time.time() - start), flush=True)
listener.listen(16)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % listener.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
listener.settimeout(0.5)
end, n = time.time() + seconds, 0  # from the moment it listens
while time.time() < end:
    try:
        conn, _ = listener.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(conn, n % 4), daemon=True).start()
    n += 1
