package riverengine

import "time"

// SetBeforeCommit makes s call f in each of its write transactions once
// the change is numbered and written, before the commit: the writer lock
// is held meanwhile.
func SetBeforeCommit(s *DefinitionStore, f func(tenant, id string)) { s.beforeCommit = f }

// SetListenerTiming sets how long s's listeners on PostgreSQL let their
// connection be silent before they ping it, how long they wait for an
// answer or a connection, and before taking a connection again.
func SetListenerTiming(s *DefinitionStore, ping, answer, retry time.Duration) {
	b := s.b.(*pgDefs)
	b.timing.ping, b.timing.answer, b.timing.connect, b.timing.retry = ping, answer, answer, retry
}
