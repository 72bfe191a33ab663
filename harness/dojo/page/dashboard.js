// The dojo dashboard: follows the room's event stream (server-sent events) and draws one
// traffic light per test run, for every team, without reloading the page.
// Everything a team sent is shown with textContent, never as HTML: a team name such as
// "<script>" is just text here (and the server's Content-Security-Policy forbids inline
// script besides).
"use strict";

(function () {
  const teams = new Map(); // team name -> {row, lights, countdown, deadline}
  let lightCount = 0;

  const $ = (id) => document.getElementById(id);

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clock(seconds) {
    const whole = Math.max(0, Math.ceil(seconds));
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  }

  function timeOfDay(epochSeconds) {
    return new Date(epochSeconds * 1000).toLocaleTimeString();
  }

  function teamRow(name, kata) {
    let team = teams.get(name);
    if (team) return team;
    const row = element("li", "team");
    row.dataset.team = name;
    const who = element("div", "who");
    who.append(element("span", "name", name), document.createTextNode(" "));
    const kataText = element("span", "kata", kata ? `· ${kata}` : "");
    who.append(kataText);
    const turn = element("div", "turn");
    const turnText = element("span", "turn-text", "waiting for the first turn");
    const countdown = element("span", "countdown", "");
    turn.append(turnText, countdown);
    const lights = element("ol", "lights");
    lights.setAttribute("aria-label", `test runs of ${name}`);
    row.append(who, turn, lights);
    $("teams").append(row);
    $("empty").hidden = true;
    team = { row, lights, kataText, turnText, countdown, deadline: null };
    teams.set(name, team);
    $("team-count").textContent = String(teams.size);
    return team;
  }

  function people(data) {
    if (data.driver && data.navigator) return `${data.driver} drives, ${data.navigator} navigates`;
    if (data.driver) return `${data.driver} drives`;
    return "";
  }

  function onTurn(data) {
    const team = teamRow(data.team);
    const who = people(data);
    team.turnText.textContent = `Turn ${data.turn}` + (who ? ` · ${who}` : "");
    team.deadline = typeof data.seconds_left === "number"
      ? performance.now() + data.seconds_left * 1000
      : null;
    tick();
  }

  function describe(data) {
    const colour = { red: "red", amber: "amber — the tests could not run", green: "green" }[data.colour];
    const passing = `${data.passed} of ${data.total} tests pass`;
    return `${data.team}, ${timeOfDay(data.at)}: ${colour}, ${passing} (turn ${data.turn})`;
  }

  function showDetails(data) {
    $("details").hidden = false;
    $("details-title").textContent = describe(data);
    const list = $("details-failing");
    list.replaceChildren(...(data.failing || []).map((name) => element("li", "", name)));
    const code = $("details-code");
    code.hidden = typeof data.code !== "string";
    code.textContent = code.hidden ? "" : data.code;
  }

  function onRun(data) {
    const team = teamRow(data.team, data.kata);
    if (data.kata) team.kataText.textContent = `· ${data.kata}`;
    const light = element("li", `light ${data.colour}`);
    if (typeof data.code === "string") light.classList.add("shared");
    light.tabIndex = 0;
    light.title = describe(data);
    light.setAttribute("aria-label", light.title);
    light.dataset.index = String(data.index);
    light.dataset.colour = data.colour;
    light.addEventListener("click", () => showDetails(data));
    light.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") showDetails(data);
    });
    team.lights.append(light);
    // When this light reached the page (wall clock, ms): the benchmark measures post -> here.
    light.dataset.shownAt = String(Date.now());
    lightCount += 1;
    $("light-count").textContent = String(lightCount);
  }

  function onRoom(data) {
    const kata = data.kata || "(each team picks its kata)";
    $("kata").textContent = data.title ? `${kata} — ${data.title}` : kata;
    const name = data.kata || "KATA";
    $("join-command").textContent =
      `python -m harness dojo ${name} --join ${location.href} --team NAME`;
  }

  function tick() {
    const now = performance.now();
    for (const team of teams.values()) {
      if (team.deadline === null) {
        team.countdown.textContent = "";
        continue;
      }
      const left = (team.deadline - now) / 1000;
      team.countdown.textContent = left > 0 ? `${clock(left)} left` : "time to rotate";
      team.countdown.classList.toggle("over", left <= 0);
    }
  }

  function parsed(handler) {
    return (message) => handler(JSON.parse(message.data));
  }

  function connect() {
    const status = $("connection");
    const source = new EventSource("events");
    source.addEventListener("open", () => {
      status.textContent = "live";
      status.className = "connection live";
    });
    source.addEventListener("error", () => {
      status.textContent = "reconnecting…";
      status.className = "connection lost";
    });
    source.addEventListener("room", parsed(onRoom));
    source.addEventListener("team", parsed((data) => teamRow(data.team, data.kata)));
    source.addEventListener("turn", parsed(onTurn));
    source.addEventListener("run", parsed(onRun));
  }

  document.addEventListener("DOMContentLoaded", () => {
    connect();
    setInterval(tick, 250);
  });
})();
