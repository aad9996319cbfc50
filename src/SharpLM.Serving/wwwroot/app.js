// SharpLM chat page: streaming chat over /v1/chat/completions, token probabilities from logprobs, inspection charts
// from /api/inspect, and the arena (/api/arena) whose votes become preference data. No framework, no build step.
"use strict";

const TEXT = {
  en: {
    chat: "Chat", arena: "Arena", model: "Model", apiKey: "API key", settings: "Settings", system: "System prompt",
    temperature: "Temperature", maxTokens: "Max tokens", seed: "Seed", boundaries: "Show token boundaries",
    inspect: "Look inside", inspectHint: "Charts for the last message, drawn by the library.", layer: "Layer", head: "Head",
    attention: "Attention", next: "Next token", send: "Send", stop: "Stop", regenerate: "Regenerate", newChat: "New chat",
    arenaHint: "Two answers to the same prompt; the models stay hidden until you vote.", compare: "Compare",
    note: "Note (optional)", voteA: "A is better", voteB: "B is better", tie: "Tie", bothBad: "Both bad",
    you: "You", assistant: "Assistant", edit: "edit", allHeads: "all", drawing: "Drawing…", keyPrompt: "API key for this server:",
    probability: "probability", alternatives: "Top alternatives", tokens: "tokens", placeholder: "Type a message…",
    arenaPlaceholder: "A prompt for both models…", saved: "Vote saved to", revealed: "A was {a}, B was {b}.",
    stopped: "stopped", needKey: "This server needs an API key.", random: "random",
  },
  zh: {
    chat: "对话", arena: "竞技场", model: "模型", apiKey: "API 密钥", settings: "设置", system: "系统提示词",
    temperature: "温度", maxTokens: "最多词元数", seed: "随机种子", boundaries: "显示词元边界",
    inspect: "看看内部", inspectHint: "为最后一条消息绘制图表（由程序库绘制）。", layer: "层", head: "注意力头",
    attention: "注意力", next: "下一个词元", send: "发送", stop: "停止", regenerate: "重新生成", newChat: "新对话",
    arenaHint: "同一个问题的两个回答；投票之后才显示模型名称。", compare: "比较",
    note: "备注（可选）", voteA: "A 更好", voteB: "B 更好", tie: "平局", bothBad: "都不好",
    you: "你", assistant: "助手", edit: "编辑", allHeads: "全部", drawing: "正在绘制…", keyPrompt: "此服务器的 API 密钥：",
    probability: "概率", alternatives: "最可能的候选", tokens: "个词元", placeholder: "输入消息…",
    arenaPlaceholder: "给两个模型的问题…", saved: "投票已保存到", revealed: "A 是 {a}，B 是 {b}。",
    stopped: "已停止", needKey: "此服务器需要 API 密钥。", random: "随机",
  },
};

const $ = (id) => document.getElementById(id);
const state = {
  lang: localStorage.getItem("sharplm.lang") || ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en"),
  key: localStorage.getItem("sharplm.key") || "",
  models: [], messages: [], controller: null, arena: null,
  session: localStorage.getItem("sharplm.session") || (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)),
};
localStorage.setItem("sharplm.session", state.session);
const t = (k) => TEXT[state.lang][k] || TEXT.en[k] || k;

function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  $("lang").textContent = state.lang === "zh" ? "English" : "中文";
  $("input").placeholder = t("placeholder");
  $("arena-input").placeholder = t("arenaPlaceholder");
  $("seed").placeholder = t("random");
  fillHeads();
  renderMessages();
}

function headers() {
  const h = { "Content-Type": "application/json" };
  if (state.key) h.Authorization = "Bearer " + state.key;
  return h;
}

// GET (no body) or POST JSON; a 401 asks for the key, any other failure throws the server's error message.
async function api(path, body, signal) {
  const response = await fetch(path, body === undefined ? { headers: headers() }
    : { method: "POST", headers: headers(), body: JSON.stringify(body), signal });
  if (response.status === 401) {
    const key = prompt(t("needKey") + "\n" + t("keyPrompt"), state.key);
    if (key !== null) { state.key = key; localStorage.setItem("sharplm.key", key); }
    throw new Error(t("needKey"));
  }
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

// Reads an SSE response, calling onChunk for each JSON event; throws on an error event.
async function readStream(response, onChunk) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (!event.startsWith("data: ")) continue;
      const data = event.slice(6);
      if (data === "[DONE]") return;
      const json = JSON.parse(data);
      if (json.error) throw new Error(json.error.message);
      onChunk(json);
    }
  }
}

function sampling() {
  const body = {
    temperature: parseFloat($("temperature").value), top_k: parseInt($("top-k").value || "0", 10),
    top_p: parseFloat($("top-p").value || "1"), max_tokens: parseInt($("max-tokens").value || "128", 10),
    logprobs: true, top_logprobs: 5, stream: true, stream_options: { include_usage: true },
  };
  if ($("seed").value !== "") body.seed = parseInt($("seed").value, 10);
  return body;
}

function conversation() {
  const system = $("system").value.trim();
  return (system ? [{ role: "system", content: system }] : []).concat(state.messages.map((m) => ({ role: m.role, content: m.content })));
}

// A streamed answer: text pieces, each with the tokens that released it (a character split over tokens groups them).
function newAnswer() { return { role: "assistant", content: "", pieces: [], pending: [] }; }

function addChunk(answer, choice) {
  const text = (choice.delta && choice.delta.content) || "";
  if (choice.logprobs && choice.logprobs.content) answer.pending.push(...choice.logprobs.content);
  if (text.length > 0) {
    answer.pieces.push({ text, tokens: answer.pending });
    answer.pending = [];
    answer.content += text;
  }
}

function renderAnswer(el, answer) {
  el.textContent = "";
  answer.pieces.forEach((piece) => {
    const span = document.createElement("span");
    span.className = "tok";
    span.textContent = piece.text;
    if (piece.tokens.length && Math.exp(piece.tokens[0].logprob) < 0.1) span.classList.add("unlikely");
    span.addEventListener("mouseenter", () => showTokens(span, piece));
    span.addEventListener("click", (e) => { e.stopPropagation(); showTokens(span, piece, true); });
    el.appendChild(span);
  });
}

function visible(s) { return s.replace(/ /g, "␣").replace(/\n/g, "↵").replace(/\t/g, "⇥"); }

function tokenLabel(tok) {
  if (tok.token.includes("\uFFFD") && tok.bytes) return tok.bytes.map((b) => "<" + b.toString(16).padStart(2, "0") + ">").join("");
  return visible(tok.token);
}

function showTokens(span, piece, pinned) {
  const pop = $("tokpop");
  document.querySelectorAll(".tok.open").forEach((s) => s.classList.remove("open"));
  span.classList.add("open");
  pop.textContent = "";
  piece.tokens.forEach((tok, i) => {
    const head = document.createElement("div");
    const p = Math.exp(tok.logprob);
    head.innerHTML = "<b></b> · " + t("probability") + " <span class='p'></span>";
    head.querySelector("b").textContent = tokenLabel(tok);
    head.querySelector(".p").textContent = (100 * p).toFixed(1) + "%";
    pop.appendChild(head);
    const table = document.createElement("table");
    (tok.top_logprobs || []).forEach((alt) => {
      const row = document.createElement("tr");
      if (alt.token === tok.token) row.className = "chosen";
      const q = Math.exp(alt.logprob);
      row.innerHTML = "<td class='t'></td><td class='n'></td><td style='width:70px'><div class='bar'></div></td>";
      row.querySelector(".t").textContent = tokenLabel(alt);
      row.querySelector(".n").textContent = (100 * q).toFixed(1) + "%";
      row.querySelector(".bar").style.width = Math.max(2, Math.round(70 * q)) + "px";
      table.appendChild(row);
    });
    const caption = document.createElement("div");
    caption.className = "hint";
    caption.textContent = t("alternatives") + (piece.tokens.length > 1 ? " (" + (i + 1) + "/" + piece.tokens.length + " " + t("tokens") + ")" : "");
    pop.appendChild(caption);
    pop.appendChild(table);
  });
  const r = span.getBoundingClientRect();
  pop.hidden = false;
  pop.style.left = Math.min(r.left, window.innerWidth - pop.offsetWidth - 8) + "px";
  pop.style.top = (r.bottom + 6 + pop.offsetHeight > window.innerHeight ? r.top - pop.offsetHeight - 6 : r.bottom + 6) + "px";
  pop.dataset.pinned = pinned ? "1" : "";
}

document.addEventListener("click", (e) => {
  if (!$("tokpop").contains(e.target)) { $("tokpop").hidden = true; document.querySelectorAll(".tok.open").forEach((s) => s.classList.remove("open")); }
});

function renderMessages() {
  const box = $("messages");
  box.textContent = "";
  box.classList.toggle("boundaries", $("boundaries").checked);
  state.messages.forEach((m, i) => {
    const div = document.createElement("div");
    div.className = "msg " + m.role + (m.error ? " error" : "");
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = m.role === "user" ? t("you") : t("assistant");
    div.appendChild(who);
    const body = document.createElement("div");
    body.className = "body";
    if (m.role === "assistant" && m.pieces) renderAnswer(body, m); else body.textContent = m.content;
    if (m.error) body.textContent += (m.content ? "\n" : "") + "⚠ " + m.error;
    div.appendChild(body);
    if (m.role === "user" && !state.controller) {
      const edit = document.createElement("button");
      edit.className = "edit";
      edit.textContent = t("edit");
      edit.addEventListener("click", () => { $("input").value = m.content; state.messages = state.messages.slice(0, i); renderMessages(); $("input").focus(); });
      div.appendChild(edit);
    }
    box.appendChild(div);
  });
  box.scrollTop = box.scrollHeight;
}

function busy(on) {
  $("send").disabled = on; $("regen").disabled = on; $("newchat").disabled = on; $("stop").disabled = !on;
}

async function answer() {
  const reply = newAnswer();
  state.messages.push(reply);
  state.controller = new AbortController();
  busy(true);
  renderMessages();
  const body = $("messages").lastChild.querySelector(".body");
  try {
    const request = Object.assign({ model: $("model").value, messages: conversation().slice(0, -1) }, sampling());
    const response = await api("/v1/chat/completions", request, state.controller.signal);
    await readStream(response, (chunk) => {
      if (chunk.choices && chunk.choices[0]) { addChunk(reply, chunk.choices[0]); renderAnswer(body, reply); }
      $("messages").scrollTop = $("messages").scrollHeight;
    });
  } catch (e) {
    reply.error = e.name === "AbortError" ? t("stopped") : e.message;
  } finally {
    state.controller = null;
    busy(false);
    renderMessages();
  }
}

async function send() {
  const text = $("input").value.trim();
  if (!text || state.controller) return;
  $("input").value = "";
  state.messages.push({ role: "user", content: text });
  await answer();
}

async function regenerate() {
  if (state.controller) return;
  while (state.messages.length && state.messages[state.messages.length - 1].role === "assistant") state.messages.pop();
  if (state.messages.length) await answer();
}

function fillHeads() {
  const model = state.models.find((m) => m.id === $("model").value) || state.models[0];
  if (!model) return;
  const layer = $("layer"), head = $("head");
  const [l, h] = [layer.value, head.value];
  layer.textContent = ""; head.textContent = "";
  for (let i = 0; i < model.layers; i++) layer.add(new Option(String(i), String(i)));
  head.add(new Option(t("allHeads"), ""));
  for (let i = 0; i < model.heads; i++) head.add(new Option(String(i), String(i)));
  layer.value = l !== "" && l < model.layers ? l : String(model.layers - 1);
  head.value = h;
}

async function inspect(chart) {
  const last = [...state.messages].reverse().find((m) => m.content) || { content: $("input").value };
  if (!last.content) return;
  $("inspect-status").textContent = t("drawing");
  try {
    const body = { model: $("model").value, text: last.content, layer: parseInt($("layer").value, 10) };
    if ($("head").value !== "") body.head = parseInt($("head").value, 10);
    const response = await api("/api/inspect/" + chart, body);
    const image = $("inspect-image");
    if (image.src) URL.revokeObjectURL(image.src);
    image.src = URL.createObjectURL(await response.blob());
    $("inspect-status").textContent = "";
  } catch (e) {
    $("inspect-status").textContent = "⚠ " + e.message;
  }
}

function setMode(arena) {
  $("mode-chat").classList.toggle("active", !arena);
  $("mode-arena").classList.toggle("active", arena);
  $("chat-view").hidden = arena;
  $("arena-view").hidden = !arena;
}

async function compare() {
  const text = $("arena-input").value.trim();
  if (!text) return;
  ["a", "b"].forEach((s) => { $("answer-" + s).textContent = ""; $("name-" + s).textContent = ""; });
  $("arena-result").textContent = "";
  document.querySelectorAll(".vote").forEach((b) => { b.disabled = true; });
  $("arena-go").disabled = true;
  try {
    const system = $("system").value.trim();
    const messages = (system ? [{ role: "system", content: system }] : []).concat([{ role: "user", content: text }]);
    const start = Object.assign({ messages }, sampling());
    const { id } = await (await api("/api/arena", start)).json();
    state.arena = id;
    await Promise.all(["a", "b"].map(async (side) => {
      const reply = newAnswer();
      const response = await api("/api/arena/" + id + "/" + side, {});
      await readStream(response, (chunk) => {
        if (chunk.choices && chunk.choices[0]) { addChunk(reply, chunk.choices[0]); renderAnswer($("answer-" + side), reply); }
      });
    }));
    document.querySelectorAll(".vote").forEach((b) => { b.disabled = false; });
  } catch (e) {
    $("arena-result").textContent = "⚠ " + e.message;
  } finally {
    $("arena-go").disabled = false;
  }
}

async function vote(verdict) {
  document.querySelectorAll(".vote").forEach((b) => { b.disabled = true; });
  try {
    const result = await (await api("/api/arena/" + state.arena + "/vote", { verdict, note: $("note").value, session: state.session })).json();
    $("name-a").textContent = "· " + result.model_a;
    $("name-b").textContent = "· " + result.model_b;
    $("arena-result").textContent = t("revealed").replace("{a}", result.model_a).replace("{b}", result.model_b) + " " + t("saved") + " " + (state.feedback || "");
    $("note").value = "";
  } catch (e) {
    $("arena-result").textContent = "⚠ " + e.message;
  }
}

async function load() {
  try {
    const info = await (await api("/api/info")).json();
    state.models = info.models;
    state.feedback = info.feedback;
    $("model").textContent = "";
    info.models.forEach((m) => $("model").add(new Option(m.id, m.id)));
    fillHeads();
  } catch (e) {
    state.messages.push({ role: "assistant", content: "", error: e.message });
    renderMessages();
  }
}

$("send").addEventListener("click", send);
$("input").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } });
$("stop").addEventListener("click", () => state.controller && state.controller.abort());
$("regen").addEventListener("click", regenerate);
$("newchat").addEventListener("click", () => { if (!state.controller) { state.messages = []; renderMessages(); } });
$("boundaries").addEventListener("change", renderMessages);
$("temperature").addEventListener("input", () => { $("temperature-out").textContent = $("temperature").value; });
$("model").addEventListener("change", fillHeads);
$("show-attention").addEventListener("click", () => inspect("attention"));
$("show-next").addEventListener("click", () => inspect("next"));
$("mode-chat").addEventListener("click", () => setMode(false));
$("mode-arena").addEventListener("click", () => setMode(true));
$("arena-go").addEventListener("click", compare);
$("vote-a").addEventListener("click", () => vote("a"));
$("vote-b").addEventListener("click", () => vote("b"));
$("vote-tie").addEventListener("click", () => vote("tie"));
$("vote-bad").addEventListener("click", () => vote("both_bad"));
$("key").addEventListener("click", () => {
  const key = prompt(t("keyPrompt"), state.key);
  if (key !== null) { state.key = key; localStorage.setItem("sharplm.key", key); load(); }
});
$("lang").addEventListener("click", () => { state.lang = state.lang === "zh" ? "en" : "zh"; localStorage.setItem("sharplm.lang", state.lang); applyLanguage(); });
applyLanguage();
load();
