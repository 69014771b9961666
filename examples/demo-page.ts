// The chat page, kept in a module so tsc carries it into dist/ with the server that serves it.
export const demoPage = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>wasmsock chat</title>
<style>
  body { font: 16px system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }
  #log { border: 1px solid #ccc; height: 20rem; overflow-y: auto; padding: .5rem; }
  #log p { margin: .2rem 0; }
  .me { color: #036; }
  .system { color: #888; font-style: italic; }
  form { display: flex; gap: .5rem; margin-top: .5rem; }
  input { flex: 1; }
</style>
<h1>wasmsock chat</h1>
<div id="log"></div>
<form id="form"><input id="text" autocomplete="off" placeholder="Say something" required><button>Send</button></form>
<script type="module">
  const log = document.getElementById("log");
  const text = document.getElementById("text");
  const show = (line, cls) => {
    const p = document.createElement("p");
    p.textContent = line;
    if (cls) p.className = cls;
    log.append(p);
    log.scrollTop = log.scrollHeight;
  };
  const ws = new WebSocket(\`\${location.protocol === "https:" ? "wss" : "ws"}://\${location.host}/chat\`);
  let me = "";
  ws.onopen = () => show("connected", "system");
  ws.onclose = (e) => show(\`disconnected (\${e.code})\`, "system");
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.welcome) me = m.welcome;
    else show(\`\${m.from}: \${m.text}\`, m.from === me ? "me" : "");
  };
  document.getElementById("form").onsubmit = (e) => {
    e.preventDefault();
    if (ws.readyState === WebSocket.OPEN) ws.send(text.value);
    text.value = "";
  };
</script>
</html>
`;
