#!/usr/bin/env python3
"""Linux helpers of the adversarial suite (adversarial.sh).

  sink tcp|udp ADDR PORTFILE OUTFILE SECONDS
      a plain peer: listens on ADDR (port 0), writes its port to PORTFILE,
      appends every byte received to OUTFILE for SECONDS; answers each TCP
      connection's first bytes with "PEER-REPLY-NOT-TLS" (so a TLS client's
      handshake fails at once, and a program that reached it in clear
      shows it)
  attack ADDR PORT MARK SECONDS [BINDADDR BINDPORT]
      connects (from BINDADDR:BINDPORT if given), sends MARK, reads for
      SECONDS; prints "attacker: ... received N bytes: ..."
  squat ADDR PORT OUTFILE SECONDS [reuseaddr]
      listens on ADDR:PORT, records what every connection sends, answers
      "SQUATTER-REPLY"; prints "squat: listening" or "squat: bind failed"
  listeners
      the loopback TCP listening ports of this uid-or-any (port uid lines)
  to-port PORT SECONDS
      waits for an ESTABLISHED loopback connection whose remote port is
      PORT; prints its local port
"""
import os
import select
import socket
import sys
import time


def log(*a):
    print(*a, flush=True)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sink(proto, addr, portfile, outfile, seconds):
    fam = family_of(addr)
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.bind((addr, 0))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    out = open(outfile, "ab", buffering=0)
    conns, answered = [], set()
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s] + conns, [], [], 0.1)
        for x in r:
            if x is s and kind == socket.SOCK_STREAM:
                c, _ = s.accept()
                conns.append(c)
                continue
            try:
                data = x.recv(65536)
            except OSError:
                data = b""
            if data:
                out.write(data if kind == socket.SOCK_STREAM else data + b"\n")
                if x is not s and x not in answered:
                    answered.add(x)
                    try:
                        x.send(b"PEER-REPLY-NOT-TLS\r\n")
                    except OSError:
                        pass
            elif x is not s:
                conns.remove(x)
                x.close()


def attack(addr, port, mark, seconds, bind_addr=None, bind_port=None):
    fam = family_of(addr)
    s = socket.socket(fam, socket.SOCK_STREAM)
    if bind_addr:
        try:
            s.bind((bind_addr, int(bind_port)))
        except OSError as e:
            log("attacker: bind %s:%s failed: %s; received 0 bytes" % (bind_addr, bind_port, e))
            return
    s.settimeout(5)
    try:
        s.connect((addr, int(port)))
    except OSError as e:
        log("attacker: connect failed: %s; received 0 bytes" % e)
        return
    log("attacker: connected from %s to %s:%s" % (s.getsockname()[:2], addr, port))
    try:
        s.sendall(mark.encode())
    except OSError as e:
        log("attacker: send failed: %s" % e)
    got = b""
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.1)
        if not r:
            continue
        try:
            d = s.recv(65536)
        except OSError as e:
            log("attacker: recv: %s" % e)
            break
        if not d:
            break
        got += d
    log("attacker: received %d bytes: %r" % (len(got), got[:200]))


def squat(addr, port, outfile, seconds, reuse=False):
    fam = family_of(addr)
    s = socket.socket(fam, socket.SOCK_STREAM)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((addr, int(port)))
        s.listen(16)
    except OSError as e:
        log("squat: bind/listen %s:%s failed: %s" % (addr, port, e))
        return
    log("squat: listening on %s:%s" % (addr, port))
    out = open(outfile, "ab", buffering=0)
    conns = []
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s] + conns, [], [], 0.1)
        for x in r:
            if x is s:
                c, peer = s.accept()
                log("squat: accepted a connection from %s" % (peer[:2],))
                try:
                    c.send(b"SQUATTER-REPLY")
                except OSError:
                    pass
                conns.append(c)
                continue
            try:
                d = x.recv(65536)
            except OSError:
                d = b""
            if d:
                out.write(d)
            else:
                conns.remove(x)
                x.close()


def proc_tcp():
    """(local addr, local port, remote port, state, uid) of loopback TCP sockets."""
    rows = []
    for name, lo in (("/proc/net/tcp", ("0100007F",)),
                     ("/proc/net/tcp6", ("00000000000000000000000001000000",
                                         "0000000000000000FFFF00000100007F"))):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            laddr, lport = f[1].split(":")
            _, rport = f[2].split(":")
            rows.append((laddr, int(lport, 16), int(rport, 16), f[3], int(f[7]), laddr in lo))
    return rows


def listeners():
    for laddr, lport, _, state, uid, is_lo in proc_tcp():
        if state == "0A" and is_lo:
            print(lport, uid)


def to_port(port, seconds):
    end = time.time() + seconds
    while time.time() < end:
        for laddr, lport, rport, state, uid, is_lo in proc_tcp():
            if state == "01" and rport == port and lport != port:
                print(lport)
                return
        time.sleep(0.02)


def main():
    a = sys.argv[1:]
    if a[0] == "sink":
        sink(a[1], a[2], a[3], a[4], float(a[5]))
    elif a[0] == "attack":
        attack(a[1], a[2], a[3], float(a[4]), *(a[5:7] if len(a) >= 7 else []))
    elif a[0] == "squat":
        squat(a[1], a[2], a[3], float(a[4]), len(a) > 5 and a[5] == "reuseaddr")
    elif a[0] == "listeners":
        listeners()
    elif a[0] == "to-port":
        to_port(int(a[1]), float(a[2]))
    else:
        sys.exit(2)


if __name__ == "__main__":
    main()
