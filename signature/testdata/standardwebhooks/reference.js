// Runs the cases on stdin (a JSON array) through the standardwebhooks
// package and prints one result per case, in order, as a JSON array.
//
//   {"op": "load", "secret": s}                       -> {ok}
//   {"op": "sign", "secret": s, "id": i, "timestamp": unix, "body": b64}
//                                                     -> {ok, signature}
//   {"op": "verify", "secret": s, "headers": {...}, "body": b64, "now": unix}
//                                                     -> {ok, error}
//
// Bodies travel as base64 and reach the library as a Buffer, as a receiver
// reading the raw request body hands it over. The library reads the clock
// through Date.now, which is set to each case's time (seconds, fractions
// allowed).
"use strict";
const { Webhook } = require("standardwebhooks");

const realNow = Date.now;

function run(c) {
	let wh;
	try {
		wh = new Webhook(c.secret);
	} catch (e) {
		return { ok: false, error: "secret: " + e.message };
	}
	if (c.op === "load") {
		return { ok: true };
	}
	const body = Buffer.from(c.body || "", "base64");
	if (c.op === "sign") {
		return { ok: true, signature: wh.sign(c.id, new Date(c.timestamp * 1000), body) };
	}
	Date.now = () => c.now * 1000;
	try {
		// jsonParse off: what is compared is the signature check, not
		// whether the body is JSON.
		wh.verify(body, c.headers, { jsonParse: false });
		return { ok: true };
	} catch (e) {
		return { ok: false, error: e.name + ": " + e.message };
	} finally {
		Date.now = realNow;
	}
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
	process.stdout.write(JSON.stringify(JSON.parse(input).map(run)));
});
