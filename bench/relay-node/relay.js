// Reference relay on Debian's node-ws (ws 8.11): what many teams would write instead of chatd.
// Run: NODE_PATH=/usr/share/nodejs node bench/relay-node/relay.js [port]   (0 = any free port)
// Prints "relay-node listening on http://127.0.0.1:PORT".
//
// It speaks just enough of docs/PROTOCOL.md for bench/gen: hello -> welcome, set_status -> status,
// request_chat -> ack (seq 1 and time, no event: the slim ack of docs/PROTOCOL.md) and routing to an available agent connection with fewer than 3 chats
// (session frame + joined event seq 2 to both sides), send -> ack with the next seq to the sender and the
// event with the same seq to the other side.
// Deliberately minimal and honest about it: NO persistence (everything in memory), NO token checks (a token
// with dots is a customer, anything else an agent), no policy, no resume.
'use strict';
const { WebSocketServer } = require('ws');

const CAP = 3;
const port = parseInt(process.argv[2] || '0', 10);
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws', perMessageDeflate: false });

let nextConn = 1;
let nextSession = 1;
const sessions = new Map(); // id -> {id, customer, agent, seq}
const agents = [];          // available agent connections
const queue = [];           // sessions waiting for an agent

function send(ws, obj) {
  if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj));
}

function event(s, kind, extra) {
  s.seq += 1;
  return Object.assign({ sessionId: s.id, seq: s.seq, at: new Date().toISOString(), kind }, extra);
}

function route() {
  while (queue.length) {
    const agent = agents.find((a) => a.readyState === 1 && a.chats < CAP);
    if (!agent) return;
    const s = queue.shift();
    agent.chats += 1;
    s.agent = agent;
    const ev = event(s, 'joined', { agent: { id: String(agent.cid), name: 'Agent' } });
    send(agent, { type: 'session', session: { id: s.id, state: 'active', lastSeq: s.seq } });
    send(agent, { type: 'event', event: ev });
    send(s.customer, { type: 'event', event: ev });
  }
}

wss.on('connection', (ws) => {
  ws.cid = nextConn++;
  ws.role = null;
  ws.chats = 0;
  ws.on('message', (data, isBinary) => {
    if (isBinary) return send(ws, { type: 'error', code: 'binary_not_supported', message: 'text only' });
    let m;
    try { m = JSON.parse(data); } catch (e) { return send(ws, { type: 'error', code: 'malformed_json', message: 'bad json' }); }
    switch (m.type) {
      case 'hello':
        ws.role = String(m.token || '').includes('.') ? 'customer' : 'agent';
        send(ws, { type: 'welcome', role: ws.role, serverTime: new Date().toISOString() });
        if (ws.role === 'agent') send(ws, { type: 'status', status: 'away' });
        break;
      case 'set_status':
        if (ws.role !== 'agent') break;
        if (m.status === 'available' && !agents.includes(ws)) agents.push(ws);
        send(ws, { type: 'status', status: m.status });
        route();
        break;
      case 'request_chat': {
        const s = { id: nextSession++, customer: ws, agent: null, seq: 0 };
        sessions.set(s.id, s);
        const ev = event(s, 'requested', { text: m.text, clientId: m.clientId });
        send(ws, { type: 'ack', clientId: m.clientId, sessionId: s.id, seq: ev.seq, at: ev.at });
        queue.push(s);
        route();
        break;
      }
      case 'send': {
        const s = sessions.get(m.sessionId);
        if (!s) return send(ws, { type: 'error', code: 'unknown_session', message: 'no such chat', ref: m.clientId });
        const other = ws === s.customer ? s.agent : ws === s.agent ? s.customer : undefined;
        if (other === undefined) return send(ws, { type: 'error', code: 'not_your_session', message: 'not yours', ref: m.clientId });
        const ev = event(s, 'message', { author: { role: ws.role, id: String(ws.cid) }, text: m.text, clientId: m.clientId });
        send(ws, { type: 'ack', clientId: m.clientId, sessionId: s.id, seq: ev.seq, at: ev.at });
        send(other, { type: 'event', event: ev });
        break;
      }
      case 'ping':
        send(ws, { type: 'pong', nonce: m.nonce });
        break;
      default:
        send(ws, { type: 'error', code: 'unknown_type', message: 'unknown type' });
    }
  });
  ws.on('close', () => {
    const i = agents.indexOf(ws);
    if (i >= 0) agents.splice(i, 1);
  });
});

wss.on('listening', () => {
  console.log(`relay-node listening on http://127.0.0.1:${wss.address().port}`);
});
process.on('SIGTERM', () => { wss.close(); process.exit(0); });
process.on('SIGINT', () => { wss.close(); process.exit(0); });
