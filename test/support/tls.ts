import { execFileSync } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCert {
  certFile: string
  keyFile: string
  cert: string
  key: string
  /** base64 sha256 of the certificate's SubjectPublicKeyInfo, for Chromium's --ignore-certificate-errors-spki-list. */
  spki: string
}

/**
 * A fresh self-signed P-256 certificate for `names` (IP addresses or DNS names), valid one day,
 * made offline with openssl.
 */
export function makeSelfSignedCert(names: string[]): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'wt-tls-'))
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=webtensor-test', '-addext', `subjectAltName=${san}`, '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' })
  const cert = readFileSync(certFile, 'utf8')
  const der = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' })
  return { certFile, keyFile, cert, key: readFileSync(keyFile, 'utf8'), spki: createHash('sha256').update(der).digest('base64') }
}

/** Chromium flags that trust exactly this certificate's key (not every certificate, as --ignore-certificate-errors would). */
export function trustCertArgs(c: TestCert): string[] {
  return [`--ignore-certificate-errors-spki-list=${c.spki}`]
}
