// Stand-in for react-native-webrtc (see README.md). @libp2p/webrtc imports it only from its
// "react-native" build, which neither Node nor Vite ever selects; if something did load it, it
// fails at the first use with a message that says why.
function unavailable(name) {
  return class {
    constructor() {
      throw new Error(`react-native-webrtc is stubbed out in webtensor (${name}): the react-native build of @libp2p/webrtc is not supported`)
    }
  }
}

export const RTCPeerConnection = unavailable('RTCPeerConnection')
export const RTCSessionDescription = unavailable('RTCSessionDescription')
export const RTCIceCandidate = unavailable('RTCIceCandidate')
