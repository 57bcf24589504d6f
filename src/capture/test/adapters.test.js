import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { streamFromTracks, fromZoomTracks, fromDailyParticipant, fromTwilioTracks, fromVonagePublisher } from '../adapters.js';

// Just enough of the WebRTC surface for the adapters to run in node.
class FakeTrack {
  constructor(kind) {
    this.kind = kind;
    this.readyState = 'live';
  }
  stop() {
    this.readyState = 'ended';
  }
}
class FakeStream {
  constructor(tracks = []) {
    this.tracks = tracks;
  }
  getTracks() {
    return this.tracks;
  }
  getAudioTracks() {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
}
before(() => {
  globalThis.MediaStream = FakeStream;
  globalThis.MediaStreamTrack = FakeTrack;
});

const audio = () => new FakeTrack('audio');
const video = () => new FakeTrack('video');

test('streamFromTracks composes tracks, streams and arrays, and needs audio', () => {
  const a = audio();
  const v = video();
  const s = streamFromTracks([v], new FakeStream([a]));
  assert.deepEqual(s.getTracks(), [v, a]);
  assert.throws(() => streamFromTracks(video()), /no audio track/);
});

test('Zoom: tracks, streams or objects exposing getMediaStreamTrack()', () => {
  const a = audio();
  assert.deepEqual(fromZoomTracks({ getMediaStreamTrack: () => a }).getAudioTracks(), [a]);
  assert.deepEqual(fromZoomTracks(new FakeStream([a])).getAudioTracks(), [a]);
});

test('Daily: persistent track first, then track, then audioTrack', () => {
  const p = audio();
  const t = audio();
  const old = audio();
  assert.equal(fromDailyParticipant({ tracks: { audio: { persistentTrack: p, track: t } } }).getAudioTracks()[0], p);
  assert.equal(fromDailyParticipant({ tracks: { audio: { track: t } } }).getAudioTracks()[0], t);
  assert.equal(fromDailyParticipant({ audioTrack: old }).getAudioTracks()[0], old);
  assert.throws(() => fromDailyParticipant({ tracks: { audio: { state: 'loading' } } }), /loading/);
});

test('Twilio: unwraps LocalAudioTrack.mediaStreamTrack and keeps video tracks', () => {
  const a = audio();
  const v = video();
  const wrap = (t) => ({ kind: t.kind, isStopped: false, stop() {}, mediaStreamTrack: t });
  const s = fromTwilioTracks(wrap(a), wrap(v));
  assert.deepEqual(s.getTracks(), [a, v]);
});

test('Vonage: the publisher audio source', () => {
  const a = audio();
  assert.equal(fromVonagePublisher({ getAudioSource: () => a }).getAudioTracks()[0], a);
  assert.throws(() => fromVonagePublisher({}), /no audio source/);
});
