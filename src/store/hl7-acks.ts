/** The ACK given to each (sender, message control id), so a repeat is answered alike (migration 017). */
import { isUniqueViolation } from './db';
import type { GroupCommit } from './group-commit';
import { insertRow, SqlDb } from './sql';

export interface StoredAck {
  messageId: string;
  ack: string;
}

export class Hl7AckStore {
  constructor(
    private readonly writer: GroupCommit,
    private readonly sql: SqlDb,
  ) {}

  async get(sender: string, controlId: string): Promise<StoredAck | undefined> {
    const row = await this.sql.withConnection((tx) =>
      tx.get<{ message_id: string; ack: string }>('SELECT message_id, ack FROM hl7_acks WHERE sender = ? AND control_id = ?', [sender, controlId]),
    );
    return row && { messageId: row.message_id, ack: row.ack };
  }

  /** Keeps the ACK unless one is kept already (two copies of a message raced): returns the one kept. Durable on return. */
  async keep(sender: string, controlId: string, messageId: string, ack: string): Promise<StoredAck> {
    try {
      await this.writer.run((tx) => insertRow(tx, 'hl7_acks', { sender, control_id: controlId, message_id: messageId, ack, created_at: Date.now() }));
      return { messageId, ack };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      return (await this.get(sender, controlId)) ?? { messageId, ack };
    }
  }
}
