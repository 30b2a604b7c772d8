#!/usr/bin/python3
# Makes the golden keyfiles of ../keyfile.test.ts: run from this folder, `python3 make-vectors.py plain|nacl|ansible|legacy`.
# Debian: apt-get install python3-nacl ansible-core python3-cryptography. The keys are the public test
# vectors of opentensor/btwallet tests/test_keyfile.py (MIT); the password is made up.
# Golden keyfile vectors made with the libraries the bittensor wallets use:
# PyNaCl (libsodium) for $NACL, ansible-core's VaultLib for $ANSIBLE_VAULT, cryptography's Fernet for legacy.
import json, base64, sys
import nacl.pwhash, nacl.secret
from ansible.parsing.vault import VaultLib, VaultSecret
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.backends import default_backend

which = sys.argv[1]
data = json.dumps({
  "accountId": "0xe4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446",
  "publicKey": "0xe4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446",
  "privateKey": "0x1f1995bdf3a17b60626a26cfe6f564b337d46056b7a1281b64c649d592ccda0a9cffd34d9fb01cae1fba61aeed184c817442a2186d5172416729a4b54dd4b84e",
  "secretPhrase": "old leopard transfer rib spatial phone calm indicate online fire caution review",
  "secretSeed": "0xda3cf5b1e9144931a0f0db65664aab662673b099415a7f8121b7245fb0be4143",
  "ss58Address": "5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX",
}, separators=(',', ':')).encode()
pw = b"correct horse battery staple"
if which == 'plain':
  open('coldkey.json', 'wb').write(data)
if which == 'nacl':
  NACL_SALT = b"\x13q\x83\xdf\xf1Z\t\xbc\x9c\x90\xb5Q\x879\xe9\xb1"
  key = nacl.pwhash.argon2i.kdf(nacl.secret.SecretBox.KEY_SIZE, pw, NACL_SALT,
    opslimit=nacl.pwhash.argon2i.OPSLIMIT_SENSITIVE, memlimit=nacl.pwhash.argon2i.MEMLIMIT_SENSITIVE)
  print('nacl key', key.hex())
  box = nacl.secret.SecretBox(key)
  open('coldkey.nacl', 'wb').write(b"$NACL" + bytes(box.encrypt(data, bytes(range(24)))))
if which == 'ansible':
  vault = VaultLib([("default", VaultSecret(pw))])
  open('coldkey.ansible', 'wb').write(vault.encrypt(data))
if which == 'legacy':
  salt = b"Iguesscyborgslikemyselfhaveatendencytobeparanoidaboutourorigins"
  kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), salt=salt, length=32, iterations=10000000, backend=default_backend())
  key = base64.urlsafe_b64encode(kdf.derive(pw))
  open('coldkey.legacy', 'wb').write(Fernet(key).encrypt(data))
