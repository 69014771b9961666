// The chat page `wasmsock chat` serves at /: pick a name and a room, see who is there and the last
// 50 messages, each with its time; when the server goes away the page says so and reconnects with
// backoff (0.5 s doubling up to 10 s, jittered). Kept in a module so tsc carries it into dist/.

/** The names the endpoint takes (others get 400), which the page checks before it connects. */
export const NAME = /^[^\p{Cc}]{1,32}$/u;

export const chatPage = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wasmsock chat</title>
<style>
  * { box-sizing: border-box; }
  body { font: 16px system-ui, sans-serif; margin: 0; padding: 1rem; max-width: 48rem; margin-inline: auto; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  #status { font-size: .9rem; color: #666; min-height: 1.2em; }
  #status.down { color: #a40; }
  #join, #say { display: flex; gap: .5rem; flex-wrap: wrap; margin: .5rem 0; }
  #join input, #say input { flex: 1; min-width: 8rem; padding: .5rem; font-size: 1rem; }
  button { padding: .5rem 1rem; font-size: 1rem; }
  #chat { display: none; gap: 1rem; }
  #chat.on { display: flex; }
  #log { flex: 1; border: 1px solid #ccc; height: 60vh; overflow-y: auto; padding: .5rem; }
  #log p { margin: .2rem 0; overflow-wrap: anywhere; }
  #log time { color: #888; font-size: .8rem; margin-right: .4rem; }
  #log .me b { color: #036; }
  #log .system { color: #888; font-style: italic; }
  #people { width: 10rem; }
  #people h2 { font-size: 1rem; margin: 0 0 .3rem; }
  #members { list-style: none; margin: 0; padding: 0; }
  @media (max-width: 40rem) { #chat.on { flex-direction: column-reverse; } #people { width: auto; } #log { height: 50vh; } }
</style>
<h1>wasmsock chat <span id="where"></span></h1>
<div id="status"></div>
<form id="join">
  <input id="name" placeholder="your name" maxlength="32" required autocomplete="nickname">
  <input id="room" placeholder="room" value="lobby" pattern="[A-Za-z0-9_\\-]{1,32}" required>
  <button>Join</button>
</form>
<div id="chat">
  <div style="flex:1;display:flex;flex-direction:column">
    <div id="log"></div>
    <form id="say"><input id="text" autocomplete="off" placeholder="Say something" maxlength="2000" required><button id="send">Send</button></form>
  </div>
  <aside id="people"><h2>In the room</h2><ul id="members"></ul></aside>
</div>
<script type="module">
  const $ = (id) => document.getElementById(id);
  const status = (text, down) => { $("status").textContent = text; $("status").className = down ? "down" : ""; };
  const time = (ts) => new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const NAME = new RegExp(${JSON.stringify(NAME.source)}, "u");
  const params = new URLSearchParams(location.search);
  $("name").value = params.get("name") ?? localStorage.getItem("wasmsock-name") ?? "";
  $("room").value = params.get("room") ?? localStorage.getItem("wasmsock-room") ?? "lobby";
  let ws, me, members = new Map(), delay = 500, wanted;

  function line(m, cls) {
    const p = document.createElement("p");
    if (cls) p.className = cls;
    const t = document.createElement("time");
    t.dateTime = new Date(m.ts).toISOString();
    t.textContent = time(m.ts);
    p.append(t);
    if (m.type === "message") {
      const b = document.createElement("b");
      b.textContent = m.name + ": ";
      p.append(b, document.createTextNode(m.text));
      if (me && m.id === me.id) p.classList.add("me");
      p.classList.add("msg");
    } else p.append(document.createTextNode(m.text));
    const log = $("log");
    log.append(p);
    log.scrollTop = log.scrollHeight;
  }
  function people() {
    const ul = $("members");
    ul.replaceChildren(...[...members].map(([id, name]) => {
      const li = document.createElement("li");
      li.textContent = name + (me && id === me.id ? " (you)" : "");
      li.dataset.id = id;
      return li;
    }));
  }
  function connect() {
    const { name, room } = wanted;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(scheme + "://" + location.host + "/chat?" + new URLSearchParams({ name, room }));
    status("connecting…");
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "welcome") {
        delay = 500;
        me = m.you;
        members = new Map(m.members.map((p) => [p.id, p.name]));
        $("log").replaceChildren();
        for (const h of m.history) line(h);
        line({ ts: Date.now(), text: "you joined " + m.room + " as " + me.name }, "system");
        status("connected");
        people();
      } else if (m.type === "join") {
        if (!members.has(m.id) && m.id !== me?.id) line({ ts: m.ts, text: m.name + " joined" }, "system");
        members.set(m.id, m.name);
        people();
      } else if (m.type === "leave") {
        members.delete(m.id);
        line({ ts: m.ts, text: m.name + " left" }, "system");
        people();
      } else if (m.type === "message") line(m);
    };
    ws.onclose = (e) => {
      if (e.code === 1008 || e.code === 1003) return status("refused: " + (e.reason || e.code), true);
      const wait = Math.round(delay * (0.75 + Math.random() / 2));
      delay = Math.min(delay * 2, 10000);
      status("disconnected" + (e.code === 1001 ? " (server going away)" : "") + ", reconnecting in " + (wait / 1000).toFixed(1) + " s", true);
      if (me) line({ ts: Date.now(), text: "disconnected; reconnecting…" }, "system");
      setTimeout(connect, wait);
    };
  }
  $("join").onsubmit = (e) => {
    e.preventDefault();
    const name = $("name").value.trim();
    // A refused handshake is only a close to the page, which would retry it forever; maxlength
    // does not hold a name from the query (the room's pattern does hold one).
    if (!NAME.test(name)) return status("a name is 1-32 characters, none of them control characters", true);
    wanted = { name, room: $("room").value };
    localStorage.setItem("wasmsock-name", wanted.name);
    localStorage.setItem("wasmsock-room", wanted.room);
    $("join").style.display = "none";
    $("chat").classList.add("on");
    $("where").textContent = "· " + wanted.room;
    connect();
  };
  $("say").onsubmit = (e) => {
    e.preventDefault();
    if (ws?.readyState === WebSocket.OPEN) ws.send($("text").value);
    $("text").value = "";
  };
</script>
</html>
`;
