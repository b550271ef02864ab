/**
 * The EventBus inside one process, for the embedded mode: the same semantics as the Kafka adapter — partitions by
 * key (Kafka's murmur2), consumer groups with committed offsets and rebalancing, per-partition order, retries with
 * backoff, dead-letter topics, commit only after success — on in-memory partition logs.
 *
 * Memory: each partition keeps its newest `retainPerPartition` messages (default 100,000); a group whose committed
 * offset fell behind what is retained continues at the oldest retained message, as Kafka does after retention.
 * Nothing survives the process: the embedded mode's durability comes from the event store, from which relays
 * republish after their checkpoint.
 */
import { DeliveryAbandoned, deliver, partitionOf } from './delivery.ts';
import type {
  Consumer,
  ConsumerOptions,
  EventBus,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  TopicSpec,
} from './types.ts';

export interface InProcessEventBusOptions {
  readonly defaultPartitions?: number;
  readonly retainPerPartition?: number;
}

interface LogEntry {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

interface PartitionLog {
  base: number;
  entries: LogEntry[];
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

class Member {
  readonly assigned = new Set<string>();
  readonly loops = new Set<Promise<void>>();
  stopping = false;
  readonly options: ConsumerOptions;
  readonly handler: MessageHandler;
  constructor(options: ConsumerOptions, handler: MessageHandler) {
    this.options = options;
    this.handler = handler;
  }
}

class Group {
  readonly members: Member[] = [];
  readonly committed = new Map<string, number>();
  /** The loop that last owned each partition: a new owner starts only after it ended. */
  readonly running = new Map<string, Promise<void>>();
}

export class InProcessEventBus implements EventBus {
  readonly #topics = new Map<string, PartitionLog[]>();
  readonly #groups = new Map<string, Group>();
  readonly #waiters = new Set<() => void>();
  readonly #consumers = new Set<Consumer>();
  readonly #defaultPartitions: number;
  readonly #retain: number;

  constructor(options: InProcessEventBusOptions = {}) {
    this.#defaultPartitions = options.defaultPartitions ?? 6;
    this.#retain = options.retainPerPartition ?? 100_000;
  }

  #wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #wait(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        if (timer) clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    for (const spec of topics) {
      if (this.#topics.has(spec.topic)) continue;
      const count = spec.partitions ?? this.#defaultPartitions;
      this.#topics.set(
        spec.topic,
        Array.from({ length: count }, () => ({ base: 0, entries: [] })),
      );
    }
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const partitions = this.#topics.get(topic);
    if (!partitions) throw new Error(`unknown topic ${topic} (create it with ensureTopics)`);
    for (const message of messages) {
      const log = partitions[partitionOf(message.key, partitions.length)];
      if (!log) continue;
      log.entries.push({
        key: message.key,
        value: Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value),
        headers: { ...message.headers },
      });
      if (log.entries.length > this.#retain) {
        const drop = log.entries.length - this.#retain;
        log.entries.splice(0, drop);
        log.base += drop;
      }
    }
    this.#wakeAll();
  }

  async subscribe(options: ConsumerOptions, handler: MessageHandler): Promise<Consumer> {
    await this.ensureTopics(
      options.topics.map((topic) => ({ topic, ...(topic.includes('.dlq.') ? { partitions: 1 } : {}) })),
    );
    const group = this.#groups.get(options.groupId) ?? new Group();
    this.#groups.set(options.groupId, group);
    const member = new Member(options, handler);
    group.members.push(member);
    this.#rebalance(group);
    const consumer: Consumer = {
      groupId: options.groupId,
      ready: Promise.resolve(),
      stop: async () => {
        if (member.stopping) return;
        member.stopping = true;
        this.#wakeAll();
        await Promise.allSettled([...member.loops]);
        group.members.splice(group.members.indexOf(member), 1);
        this.#rebalance(group);
        this.#consumers.delete(consumer);
      },
    };
    this.#consumers.add(consumer);
    return consumer;
  }

  /** Assigns every partition of the group's topics round-robin to the members subscribed to it. */
  #rebalance(group: Group): void {
    const next = new Map<Member, Set<string>>(group.members.map((m) => [m, new Set<string>()]));
    const topics = [...new Set(group.members.flatMap((m) => m.options.topics))].sort();
    let turn = 0;
    for (const topic of topics) {
      const members = group.members.filter((m) => m.options.topics.includes(topic));
      const partitions = this.#topics.get(topic)?.length ?? 0;
      for (let partition = 0; partition < partitions && members.length > 0; partition++) {
        const owner = members[turn++ % members.length];
        if (owner) next.get(owner)?.add(tpKey(topic, partition));
      }
    }
    for (const member of group.members) {
      const assignment = next.get(member) ?? new Set<string>();
      for (const tp of [...member.assigned]) if (!assignment.has(tp)) member.assigned.delete(tp);
      for (const tp of assignment) {
        if (member.assigned.has(tp)) continue;
        member.assigned.add(tp);
        const previous = group.running.get(tp) ?? Promise.resolve();
        const loop = previous.then(() => this.#consume(group, member, tp));
        group.running.set(tp, loop);
        member.loops.add(loop);
        void loop.finally(() => member.loops.delete(loop));
      }
    }
    this.#wakeAll(); // revoked loops notice and end
  }

  async #consume(group: Group, member: Member, tp: string): Promise<void> {
    const [topic = '', partitionText = '0'] = tp.split('\u0000');
    const partition = Number(partitionText);
    const log = this.#topics.get(topic)?.[partition];
    if (!log) return;
    const owns = () => member.assigned.has(tp) && !member.stopping;
    if (!group.committed.has(tp)) {
      group.committed.set(tp, member.options.fromBeginning === false ? log.base + log.entries.length : log.base);
    }
    while (owns()) {
      const offset = Math.max(group.committed.get(tp) ?? 0, log.base);
      const entry = log.entries[offset - log.base];
      if (!entry) {
        await this.#wait();
        continue;
      }
      const message: Omit<IncomingMessage, 'attempt'> = {
        topic,
        partition,
        offset: String(offset),
        key: entry.key,
        value: entry.value,
        headers: entry.headers,
      };
      try {
        const pause = async (ms: number) => {
          // A backoff ends early only when the partition is given up, not when other messages arrive.
          for (const until = Date.now() + ms; Date.now() < until && owns(); ) await this.#wait(until - Date.now());
        };
        const outcome = await deliver(message, member.handler, member.options, () => !owns(), pause);
        if (outcome.kind === 'dead-letter') {
          await this.ensureTopics([{ topic: outcome.topic, partitions: 1 }]);
          await this.publish(outcome.topic, [outcome.message]);
        }
      } catch (error) {
        if (error instanceof DeliveryAbandoned) return; // not committed: the next owner starts at this message
        throw error;
      }
      group.committed.set(tp, offset + 1);
    }
  }

  async consumerLag(groupId: string, topics: readonly string[]): Promise<number> {
    const group = this.#groups.get(groupId);
    let lag = 0;
    for (const topic of topics) {
      (this.#topics.get(topic) ?? []).forEach((log, partition) => {
        const end = log.base + log.entries.length;
        const committed = group?.committed.get(tpKey(topic, partition)) ?? log.base;
        lag += Math.max(0, end - Math.max(committed, log.base));
      });
    }
    return lag;
  }

  async isReachable(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#consumers].map((c) => c.stop()));
  }
}
