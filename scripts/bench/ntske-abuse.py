#!/usr/bin/env python3
# NTS-KE under abuse (issue 10): one address (127.0.0.2) opens 1000 idle connections, another (127.0.0.3) connects
# and closes as fast as it can, while a legitimate client on 127.0.0.1 runs `fastntp nts-ke` 30 times.
# Usage: ntske-abuse.py NTSKE_PORT CA_PEM FASTNTP_COMMAND...   (loopback only; bounded: 30 exchanges)
import socket, threading, time, subprocess, sys
PORT=int(sys.argv[1]); CA=sys.argv[2]; FASTNTP=sys.argv[3:]
held=[]; stop=False; churned=[0]
for i in range(1000):
    s=socket.socket(); s.bind(('127.0.0.2',0))
    try: s.connect(('127.0.0.1',PORT)); held.append(s)
    except OSError: s.close()
def churn():
    while not stop:
        s=socket.socket(); s.bind(('127.0.0.3',0))
        try: s.connect(('127.0.0.1',PORT)); churned[0]+=1
        except OSError: pass
        s.close()
t=threading.Thread(target=churn); t.start()
ok=0
for i in range(30):
    r=subprocess.run(FASTNTP+['nts-ke','127.0.0.1:%d'%PORT,'--ca',CA],capture_output=True,timeout=20)
    ok+= r.returncode==0
stop=True; t.join()
print("held", len(held), "churned", churned[0], "legitimate ok", ok, "of 30")
