package sqlite

import "github.com/accord-cyber/accord"

// AddLedgerAlarm stores a refused peer checkpoint. EINVALID if a field
// breaks the schema (empty party, note or reason).
func (t *tx) AddLedgerAlarm(a *accord.LedgerAlarm) error {
	if err := t.writable("add ledger alarm about " + a.Party); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO ledger_alarms (party, size, note, reason, at) VALUES (?, ?, ?, ?, ?)`,
		a.Party, a.Size, a.Note, a.Reason, timeArg(a.At))
	return translate(err, "add ledger alarm about %s", a.Party)
}

// LedgerAlarms returns every stored alarm, oldest first (empty, non-nil for none).
func (t *tx) LedgerAlarms() ([]*accord.LedgerAlarm, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT party, size, note, reason, at FROM ledger_alarms ORDER BY pos`)
	if err != nil {
		return nil, translate(err, "list ledger alarms")
	}
	defer rows.Close()
	out := []*accord.LedgerAlarm{}
	for rows.Next() {
		var a accord.LedgerAlarm
		if err := rows.Scan(&a.Party, &a.Size, blobDest{&a.Note}, &a.Reason, timeDest{&a.At}); err != nil {
			return nil, translate(err, "list ledger alarms")
		}
		out = append(out, &a)
	}
	return out, translate(rows.Err(), "list ledger alarms")
}
