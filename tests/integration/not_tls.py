#!/usr/bin/python3
# What a plain peer received that is not a TLS handshake record: secsock
# tries TLS with any peer of a client that does not allow clear text, so
# the peer may see ClientHellos (records of type 22, handshake); anything
# else it received is printed, bytes as they came.
#   not_tls.py FILE
import sys

data = open(sys.argv[1], 'rb').read() if len(sys.argv) > 1 else b''
out = bytearray()
i = 0
while i < len(data):
    # A handshake record: type 22, version 3.x, 2-byte length, the body.
    if i + 5 <= len(data) and data[i] == 22 and data[i + 1] == 3 and data[i + 2] <= 4:
        n = int.from_bytes(data[i + 3:i + 5], 'big')
        if i + 5 + n <= len(data):
            i += 5 + n
            continue
    out.append(data[i])
    i += 1
sys.stdout.buffer.write(bytes(out))
