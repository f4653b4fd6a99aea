/**
 * A client's side of one SecAgg+ session over HTTP, whatever the session sums (a training
 * round's weighted update, an evaluation's moment vector): answer each stage's request until
 * the session is done, failed, or closed. Only masked vectors leave the client. No Node
 * imports: the browser client runs it too.
 */
import { SecAggClient, fromWire, toWire, type SecAggCrypto } from '../secagg/index.js';
import type { SecureRequestResponse } from '../server/protocol.js';
import { RemoteServerError } from './remote-session.js';

/** Where a session's requests come from and its replies go (a round's or an evaluation's routes). */
export interface SecureChannel {
  request(waitMs: number): Promise<SecureRequestResponse>;
  reply(stage: string, wire: unknown): Promise<unknown>;
}

/**
 * Takes part in the session with `input`. Returns 'done' when this client's input is in the
 * sum, 'closed' when the session ended without it (or its round closed first), 'failed' or
 * 'dropped' (the server dropped this client at an earlier stage).
 */
export async function runSecureStages(channel: SecureChannel, input: Float64Array, crypto: SecAggCrypto, longPollMs: number): Promise<string> {
  const client = new SecAggClient(crypto);
  let answeredStage = '';
  for (;;) {
    let answer;
    try {
      answer = await channel.request(longPollMs);
    } catch (error) {
      // the round closed (done, or failed at its deadline) before this client saw the end
      if (error instanceof RemoteServerError && error.type === 'StaleRound') return answeredStage === 'unmask' ? 'done' : 'closed';
      throw error;
    }
    // done: this client's input is in the sum only if it sent it (a client that joined after the end was not)
    if (answer.stage === 'done') return answeredStage === 'masked-input' || answeredStage === 'unmask' ? 'done' : 'closed';
    if (answer.stage === 'failed') return answer.stage;
    if (answer.request === undefined || answer.stage === answeredStage) {
      if (answer.message && !answer.answered) return 'dropped';
      continue;
    }
    const request = fromWire(answer.request) as never;
    let reply: unknown;
    if (answer.stage === 'advertise') reply = await client.advertiseKeys(request);
    else if (answer.stage === 'share') reply = await client.shareKeys(request);
    else if (answer.stage === 'masked-input') reply = await client.maskedInput(request, input);
    else reply = await client.unmask(request);
    await channel.reply(answer.stage, toWire(reply));
    answeredStage = answer.stage;
  }
}
