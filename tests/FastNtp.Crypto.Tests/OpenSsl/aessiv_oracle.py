"""OpenSSL oracle for FastNtp.Crypto's AES-SIV tests, run under Debian's /usr/bin/python3.

Reads {"cases": [{"key", "ad": [...], "pt", "ours", "tampered": [...]}]} (hex strings) on stdin
and writes {"results": [{"sealed", "s2vConsistent", "opensOurs", "acceptsTampered": [...], "source"}]}.

"sealed" is OpenSSL's AES-SIV output (IV || C) through python3-cryptography's AESSIV, which takes
the associated data as a list of S2V components. OpenSSL 3.0's EVP interface cannot run SIV over an
empty plaintext (a zero-length update is skipped, so no tag is produced); for those cases "sealed"
is S2V built here from OpenSSL's AES-CMAC, and that S2V is checked against AESSIV on every
non-empty case ("s2vConsistent"). AES-GCM-SIV is not checked here: cryptography 38 has no AESGCMSIV.
"""
import json
import sys

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import algorithms
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    from cryptography.hazmat.primitives.cmac import CMAC
except ImportError as error:
    print(f"python3-cryptography is missing ({error}); install it with: apt-get install python3-cryptography",
          file=sys.stderr)
    sys.exit(3)


def cmac(key, message):
    mac = CMAC(algorithms.AES(key))
    mac.update(message)
    return mac.finalize()


def dbl(block):
    value = int.from_bytes(block, "big") << 1
    if value >> 128:
        value = (value & ((1 << 128) - 1)) ^ 0x87
    return value.to_bytes(16, "big")


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def s2v(key, components):
    """RFC 5297 section 2.4."""
    if not components:
        return cmac(key, (1).to_bytes(16, "big"))
    d = cmac(key, bytes(16))
    for component in components[:-1]:
        d = xor(dbl(d), cmac(key, component))
    last = components[-1]
    if len(last) >= 16:
        t = last[:-16] + xor(last[-16:], d)
    else:
        t = xor(dbl(d), last + b"\x80" + bytes(15 - len(last)))
    return cmac(key, t)


def check(case):
    key = bytes.fromhex(case["key"])
    ad = [bytes.fromhex(item) for item in case["ad"]]
    pt = bytes.fromhex(case["pt"])
    ours = bytes.fromhex(case["ours"])
    tampered = [bytes.fromhex(item) for item in case["tampered"]]
    iv = s2v(key[: len(key) // 2], ad + [pt])
    if not pt:
        return {"sealed": iv.hex(), "s2vConsistent": True, "opensOurs": ours == iv,
                "acceptsTampered": [t == iv for t in tampered], "source": "openssl-cmac-s2v"}

    siv = AESSIV(key)

    def opens(sealed):
        try:
            return siv.decrypt(sealed, ad) == pt
        except InvalidTag:
            return False

    sealed = siv.encrypt(pt, ad)
    return {"sealed": sealed.hex(), "s2vConsistent": sealed[:16] == iv, "opensOurs": opens(ours),
            "acceptsTampered": [opens(t) for t in tampered], "source": "openssl-aessiv"}


json.dump({"results": [check(case) for case in json.load(sys.stdin)["cases"]]}, sys.stdout)
