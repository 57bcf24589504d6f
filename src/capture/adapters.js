// Platform adapters: each one only resolves a MediaStream from the objects a
// video platform already hands you. Extraction is identical everywhere.

/** The MediaStreamTrack inside the wrappers platforms use, or null. */
export function toTrack(x) {
  if (!x) return null;
  if (typeof MediaStreamTrack !== 'undefined' && x instanceof MediaStreamTrack) return x;
  // Wrappers first: Twilio's tracks also have `kind` and `stop()`.
  if (x.mediaStreamTrack) return toTrack(x.mediaStreamTrack); // Twilio Local/RemoteAudioTrack
  if (x.persistentTrack) return toTrack(x.persistentTrack); // Daily track state
  if (x.track) return toTrack(x.track);
  if (typeof x.getMediaStreamTrack === 'function') return toTrack(x.getMediaStreamTrack()); // Zoom
  if (typeof x.kind === 'string' && typeof x.stop === 'function' && 'readyState' in x) return x; // a track from another realm
  return null;
}

function tracksOf(x) {
  if (!x) return [];
  if (Array.isArray(x)) return x.flatMap(tracksOf);
  if (typeof MediaStream !== 'undefined' && x instanceof MediaStream) return x.getTracks();
  if (typeof x.getTracks === 'function') return x.getTracks();
  const t = toTrack(x);
  return t ? [t] : [];
}

/** Compose a MediaStream from raw tracks (or arrays/streams of them). */
export function streamFromTracks(...tracks) {
  const all = tracks.flatMap(tracksOf);
  if (!all.some((t) => t.kind === 'audio')) throw new TypeError('streamFromTracks: no audio track given');
  return new MediaStream(all);
}

/**
 * The local microphone. `{ audio: true }` asks for echo cancellation and
 * noise suppression (they keep the far end and room noise out of the
 * patient's stream) but no automatic gain control, which would flatten the
 * intensity contour syllable detection relies on.
 */
export async function fromUserMedia(constraints = { audio: true }) {
  const c = { ...constraints };
  if (c.audio === true || c.audio === undefined) {
    c.audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: false, channelCount: 1 };
  }
  return navigator.mediaDevices.getUserMedia(c);
}

/**
 * Zoom (Video SDK / Apps SDK): pass the MediaStreamTracks or MediaStream you
 * get from the SDK, e.g. the tracks of `stream.getMediaStream()`, or objects
 * exposing `getMediaStreamTrack()`.
 */
export function fromZoomTracks(...tracks) {
  return streamFromTracks(...tracks);
}

/**
 * Daily: a participant from `call.participants()`. Uses the persistent audio
 * track (stable across mute/unmute), falling back to older fields.
 */
export function fromDailyParticipant(participant) {
  const a = participant?.tracks?.audio;
  const track = toTrack(a?.persistentTrack) || toTrack(a?.track) || toTrack(participant?.audioTrack);
  if (!track) throw new TypeError('fromDailyParticipant: participant has no audio track yet (state: ' + (a?.state ?? 'unknown') + ')');
  return new MediaStream([track]);
}

/** Twilio Video: LocalAudioTrack/RemoteAudioTrack (and optionally video tracks). */
export function fromTwilioTracks(...tracks) {
  return streamFromTracks(...tracks);
}

/** Vonage / OpenTok: a Publisher (its audio source) or a Subscriber. */
export function fromVonagePublisher(publisher) {
  let track = null;
  if (typeof publisher?.getAudioSource === 'function') track = toTrack(publisher.getAudioSource());
  if (!track && typeof publisher?.getMediaStream === 'function') return streamFromTracks(publisher.getMediaStream());
  if (!track) throw new TypeError('fromVonagePublisher: publisher has no audio source');
  return new MediaStream([track]);
}
