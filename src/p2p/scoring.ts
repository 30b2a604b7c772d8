/**
 * Gossipsub peer scoring for webtensor topics. What a neighbour loses score for is what our topic
 * validators `Reject`: messages that prove the author or a forwarder misbehaved
 * (`PENALISED_REASONS` in envelope.ts: oversize, malformed, non-canonical, schema, wrong netuid or
 * kind, bad signature; malformed or forged discovery records). Lateness and load (clock skew,
 * replays, rate limits, stale records) are `Ignore`d: no penalty. Honest peers only forward what
 * their own validator accepted, so they never collect invalid deliveries; a peer that floods
 * invalid messages falls below the graylist threshold after ~10 of them, is pruned from every
 * mesh at the next heartbeat, and everything it sends (valid or not) is dropped unread until its
 * penalty decays (half-life one minute, so a steady flooder stays graylisted).
 *
 * Mesh-delivery penalties (P3/P3b) are off: our traffic comes in bursts (a query, then answers,
 * then nothing for seconds), and a quiet mesh peer is not a bad one. IP colocation (P6) is off:
 * many browsers share one IP (a NAT, one machine). Pure: no I/O.
 */
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/** Score counters decay every second (gossipsub's default interval, named here on purpose). */
export const SCORE_DECAY_INTERVAL_MS = 1_000

/** The per-interval decay factor that halves a counter every `halfLifeMs`. */
export function decayFactor(halfLifeMs: number, intervalMs = SCORE_DECAY_INTERVAL_MS): number {
  return 0.5 ** (intervalMs / halfLifeMs)
}

/**
 * Thresholds (scores are ≤ {@link TOPIC_SCORE_CAP} for good behaviour, negative only through
 * invalid messages and broken gossip promises).
 */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  /** Below this, no gossip (IHAVE/IWANT) is exchanged with the peer. */
  gossipThreshold: -10,
  /** Below this, our own messages are not published to it. */
  publishThreshold: -50,
  /** Below this, every RPC from the peer is dropped unread (gossipsub's graylist). */
  graylistThreshold: -80,
  /**
   * Peer exchange on PRUNE is never acted on (above the score cap): our dialer chooses links from
   * sealed discovery records, and browsers cannot dial arbitrary addresses anyway.
   */
  acceptPXThreshold: 1_000,
  /** Opportunistic grafting when the mesh's median score is below this (cap 10). */
  opportunisticGraftThreshold: 3,
}

/** Cap on the positive part of a score: good behaviour buys tolerance for ~1 invalid message, not more. */
export const TOPIC_SCORE_CAP = 10

/**
 * Per-topic parameters: every scored topic (each application topic of the subnet and the
 * discovery topic) gets the same ones.
 */
export const TOPIC_SCORE_PARAMS: TopicScoreParams = {
  topicWeight: 1,
  // P1: staying in the mesh earns up to 1 point over 10 minutes.
  timeInMeshWeight: 1 / 600,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 600,
  // P2: delivering messages first earns up to 2 points, forgotten over a few minutes.
  firstMessageDeliveriesWeight: 0.2,
  firstMessageDeliveriesDecay: decayFactor(60_000),
  firstMessageDeliveriesCap: 10,
  // P3/P3b: off. Traffic is bursty; a quiet mesh peer is not a faulty one.
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 1,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 60_000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  // P4: −(invalid deliveries)²; 10 invalid messages (−100) graylist even a peer at the cap.
  invalidMessageDeliveriesWeight: -1,
  invalidMessageDeliveriesDecay: decayFactor(60_000),
}

/**
 * Peer score parameters scoring `topics` (the subnet's application topics and the discovery
 * topic).
 * @example gossipsub({ scoreParams: peerScoreParams([topicFor(1, 'query'), DISCOVERY_TOPIC]), scoreThresholds: SCORE_THRESHOLDS })
 */
export function peerScoreParams(topics: readonly string[]): Partial<PeerScoreParams> {
  return {
    topics: Object.fromEntries(topics.map((t) => [t, { ...TOPIC_SCORE_PARAMS }])),
    topicScoreCap: TOPIC_SCORE_CAP,
    // Many peers behind one IP (a NAT, localhost, one test host) are normal for browser nodes;
    // the default colocation penalty drove the mesh to zero with >10 peers on one IP.
    IPColocationFactorWeight: 0,
    // P7 (broken IWANT promises, GRAFT during back-off): a loaded tab breaks a few promises
    // honestly (a promise is broken after 3 s), so tolerate 3 and penalise gently beyond;
    // a peer spamming GRAFTs still reaches the graylist.
    behaviourPenaltyWeight: -1,
    behaviourPenaltyThreshold: 3,
    behaviourPenaltyDecay: decayFactor(10_000),
    decayInterval: SCORE_DECAY_INTERVAL_MS,
    decayToZero: 0.01,
    // A graylisted peer that reconnects keeps its score this long.
    retainScore: 3_600_000,
  }
}
