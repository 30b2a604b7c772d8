import { isIPv4, isIPv6 } from 'node:net'

/**
 * The key a client is counted under for rate and connection limits: an IPv4 address as is (also
 * when it arrives IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address by its /64 prefix, because one
 * host usually owns a whole /64 and could otherwise rotate through billions of addresses.
 * @example clientKey('2001:db8::1') // '2001:db8:0:0::/64'
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1]!
  if (isIPv4(address)) return address
  if (!isIPv6(address)) return 'unknown'
  const bare = address.split('%')[0]!.toLowerCase()
  const [head = '', tail] = bare.split('::') as [string, string | undefined]
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`
}
