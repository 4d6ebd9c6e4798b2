package manage

// Operations lists the document's operations as "METHOD /path".
func Operations() []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.method + " " + rt.path
	}
	return out
}
