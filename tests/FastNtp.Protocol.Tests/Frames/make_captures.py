#!/usr/bin/env python3
# Builds the captures in FrameCaptures.cs with struct and a plain RFC 1071 sum, independently of the C# codec.
# Run: python3 make_captures.py
import struct, socket
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2), b))
    while s>>16: s=(s&0xffff)+(s>>16)
    return (~s)&0xffff
payload=bytes([0x23])+bytes(39)+bytes.fromhex('e7a1b2c3d4e5f607')
dmac=bytes.fromhex('020000000002'); smac=bytes.fromhex('020000000001')
# IPv4
src=socket.inet_aton('10.201.3.7'); dst=socket.inet_aton('10.200.0.2')
udp=struct.pack('!HHHH',40001,123,8+len(payload),0)+payload
ph=src+dst+struct.pack('!BBH',0,17,len(udp))
c=csum(ph+udp) or 0xffff
udp=udp[:6]+struct.pack('!H',c)+udp[8:]
ip=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(udp),0,0x4000,64,17,0,src,dst)
ip=ip[:10]+struct.pack('!H',csum(ip))+ip[12:]
f4=dmac+smac+b'\x08\x00'+ip+udp
print('v4',f4.hex())
src6=socket.inet_pton(socket.AF_INET6,'fd00:201::3:7'); dst6=socket.inet_pton(socket.AF_INET6,'fd00:200::2')
udp=struct.pack('!HHHH',40001,123,8+len(payload),0)+payload
ph=src6+dst6+struct.pack('!I3xB',len(udp),17)
c=csum(ph+udp) or 0xffff
udp=udp[:6]+struct.pack('!H',c)+udp[8:]
ip6=struct.pack('!IHBB16s16s',0x60000000,len(udp),17,64,src6,dst6)
f6=dmac+smac+b'\x86\xdd'+ip6+udp
print('v6',f6.hex())
