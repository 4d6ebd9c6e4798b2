package riverengine

// SetBeforeCommit makes s call f in each of its write transactions once
// the change is numbered and written, before the commit: the writer lock
// is held meanwhile.
func SetBeforeCommit(s *DefinitionStore, f func(tenant, id string)) { s.beforeCommit = f }
