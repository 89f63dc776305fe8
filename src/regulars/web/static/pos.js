// The till: find the customer, build the basket, quote as it changes, charge exactly once.
// One receipt id is drawn per basket and sent on every attempt until the sale is confirmed, so
// a double click or a retry after a lost answer replays the first sale on the server.
(function () {
  "use strict";
  var root = document.getElementById("pos");
  if (!root) return;
  var T = JSON.parse(document.getElementById("pos-text").textContent);
  var csrf = root.getAttribute("data-csrf");
  var store = root.getAttribute("data-store");
  var pointsPayment = root.getAttribute("data-points-payment") === "1";
  var KEY = "regulars.pos." + store;
  var $ = function (id) { return document.getElementById(id); };
  var lang = document.documentElement.lang;
  function num(n) { return Number(n).toLocaleString(lang); }

  var state = load() || fresh();
  var quoteSeq = 0, quoteTimer = null, busy = false, lastQuote = null;

  function fresh() {
    return { customer: null, lines: [], vouchers: [], points: 0, receiptId: null, pending: false,
             redeemKeys: {} };
  }
  function load() {
    try { return JSON.parse(window.sessionStorage.getItem(KEY)); } catch (e) { return null; }
  }
  function save() {
    try { window.sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function show(node, on) { node.hidden = !on; }
  function message(node, text) { node.textContent = text || ""; show(node, !!text); }

  function receiptId() {
    // Store code + local time + 4 random Crockford symbols: unique per till, readable on paper.
    var d = new Date(), pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var stamp = String(d.getFullYear()).slice(2) + pad(d.getMonth() + 1) + pad(d.getDate()) +
      pad(d.getHours()) + pad(d.getMinutes()) + pad(d.getSeconds());
    var alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ", bytes = new Uint8Array(4), tail = "";
    window.crypto.getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) tail += alphabet[bytes[i] % 32];
    return store + "-" + stamp + "-" + tail;
  }

  function call(method, url, body) {
    var init = { method: method, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, data: data };
      });
    });
  }

  // --- customer ---------------------------------------------------------------------------
  function renderCard() {
    var c = state.customer;
    show($("card"), !!c);
    show($("anon"), !c);
    show($("pay-points"), !!c && pointsPayment);
    if (!c) return;
    $("c-name").textContent = c.name || c.code;
    $("c-phone").textContent = c.phone;
    $("c-code").textContent = c.code;
    show($("c-birthday"), c.birthday_month);
    $("c-balance").textContent = fmt(T.points, { points: num(c.balance) });
    $("c-tier").textContent = c.tier.name || T.no_tier;
    $("c-progress").value = c.tier.progress;
    show($("c-progress"), !!c.tier.to_next);
    $("c-next").textContent = c.tier.next_name && c.tier.to_next
      ? fmt(T.to_next, { amount: c.tier.to_next, tier: c.tier.next_name }) : (c.tier.name ? T.top_tier : "");
    message($("c-expiring"), c.expiring_soon ? fmt(T.expiring, { points: num(c.expiring_soon), days: c.expiring_days }) : "");
    var stamps = $("c-stamps");
    stamps.textContent = "";
    c.stamps.forEach(function (s) {
      stamps.appendChild(stampItem(s));
    });
    var vouchers = $("c-vouchers");
    vouchers.textContent = "";
    if (!c.vouchers.length) vouchers.appendChild(el("li", "muted small", T.no_vouchers));
    c.vouchers.forEach(function (v) {
      var li = el("li"), label = el("label", "check"), box = el("input");
      box.type = "checkbox";
      box.value = v.code;
      box.checked = state.vouchers.indexOf(v.code) >= 0;
      box.disabled = state.pending;
      box.addEventListener("change", function () {
        state.vouchers = state.vouchers.filter(function (code) { return code !== v.code; });
        if (box.checked) state.vouchers.push(v.code);
        changed();
      });
      label.appendChild(box);
      var text = el("span", null, v.name + " ");
      text.appendChild(el("small", "muted num", v.code_text + " · " + fmt(T.until, { date: v.expires })));
      label.appendChild(text);
      li.appendChild(label);
      vouchers.appendChild(li);
    });
    var rewards = $("c-rewards");
    rewards.textContent = "";
    if (!c.rewards.length) rewards.appendChild(el("li", "muted small", T.no_rewards));
    c.rewards.forEach(function (r) {
      var li = el("li", "reward-row");
      li.appendChild(el("span", null, r.name));
      var b = el("button", "small-button", fmt(T.redeem, { points: num(r.cost) }));
      b.type = "button";
      b.disabled = !r.affordable || state.pending;
      b.addEventListener("click", function () { redeem(r, b); });
      li.appendChild(b);
      rewards.appendChild(li);
    });
  }

  function stampItem(s) {
    var li = el("li");
    li.appendChild(el("span", null, fmt(T.stamps, { card: s.name, stamps: s.stamps, required: s.required })));
    var dots = el("span", "dots");
    dots.setAttribute("aria-hidden", "true");
    for (var i = 0; i < s.required; i++) dots.appendChild(el("i", i < s.stamps ? "on" : ""));
    li.appendChild(dots);
    return li;
  }

  function find(q) {
    message($("find-error"), "");
    return call("GET", "/pos/customer?q=" + encodeURIComponent(q)).then(function (res) {
      if (res.status !== 200) {
        message($("find-error"), res.data.error);
        $("q").select();
        return;
      }
      setCustomer(res.data);
      $("q").value = "";
      $("sku").focus();
    }, function () { message($("find-error"), T.network); });
  }

  function setCustomer(card) {
    if (!state.customer || state.customer.id !== card.id) {
      state.vouchers = [];
      state.points = 0;
    }
    state.customer = card;
    renderCard();
    changed();
  }

  function refreshCustomer() {
    if (!state.customer) return;
    call("GET", "/pos/customers/" + state.customer.id).then(function (res) {
      if (res.status === 200) { state.customer = res.data; save(); renderCard(); }
    }, function () {});
  }

  function randomKey() {
    var bytes = new Uint8Array(16), out = "";
    window.crypto.getRandomValues(bytes);  // works on a plain-http LAN address too
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  function redeem(reward, button) {
    if (!window.confirm(fmt(T.confirm_redeem, { name: reward.name, points: num(reward.cost) }))) return;
    button.disabled = true;  // one click, one voucher: the button stays off until the answer
    // One key per redemption until an answer comes back: a retry after a network failure (the
    // first may have gone through) gets the same voucher, never a second one.
    state.redeemKeys = state.redeemKeys || {};
    var which = state.customer.id + ":" + reward.id;
    var key = state.redeemKeys[which] || (state.redeemKeys[which] = randomKey());
    save();
    var body = { customer_id: state.customer.id, reward_id: reward.id, request_key: key };
    call("POST", "/pos/redeem", body).then(function (res) {
      delete state.redeemKeys[which];
      save();
      if (res.status !== 201) {
        message($("find-error"), res.data.error);
        button.disabled = false;
        return;
      }
      state.customer = res.data.card;
      state.vouchers.push(res.data.voucher);
      renderCard();
      changed();
    }, function () { message($("find-error"), T.network); button.disabled = false; });
  }

  // --- basket -----------------------------------------------------------------------------
  function addLine(line) {
    var same = state.lines.filter(function (l) { return l.sku === line.sku && l.price === line.price; })[0];
    if (same) same.quantity = Math.min(100000, same.quantity + line.quantity);
    else state.lines.push(line);
    if (!state.receiptId) state.receiptId = receiptId();
    changed();
  }

  function renderLines(totals) {
    var list = $("lines");
    list.textContent = "";
    show($("empty"), !state.lines.length);
    state.lines.forEach(function (line, i) {
      var li = el("li", "basket-line");
      var what = el("div", "what");
      what.appendChild(el("strong", null, line.name || line.sku));
      what.appendChild(el("small", "muted num", line.sku));
      li.appendChild(what);
      var qty = el("input", "qty");
      qty.type = "number";
      qty.min = "1";
      qty.max = "100000";
      qty.value = line.quantity;
      qty.disabled = state.pending;
      qty.setAttribute("aria-label", fmt(T.quantity_of, { name: line.name || line.sku }));
      qty.addEventListener("change", function () {
        var n = parseInt(qty.value, 10);
        line.quantity = n > 0 ? Math.min(n, 100000) : 1;
        changed();
      });
      li.appendChild(qty);
      li.appendChild(el("span", "line-total num", totals && totals[i] ? totals[i] : "…"));
      var remove = el("button", "link remove", "×");
      remove.type = "button";
      remove.disabled = state.pending;
      remove.setAttribute("aria-label", T.remove + ": " + (line.name || line.sku));
      remove.addEventListener("click", function () {
        state.lines.splice(i, 1);
        changed();
        $("sku").focus();
      });
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  function saleBody() {
    return {
      receipt_id: state.receiptId || receiptId(),
      customer_id: state.customer ? state.customer.id : null,
      lines: state.lines.map(function (l) {
        return { sku: l.sku, name: l.name, category: l.category, quantity: l.quantity, price: l.price };
      }),
      vouchers: state.vouchers.slice(),
      redeem_points: state.customer ? state.points : 0
    };
  }

  function changed() {
    save();
    renderLines(null);
    lock();
    window.clearTimeout(quoteTimer);
    if (!state.lines.length) {
      lastQuote = null;
      showTotals(null);
      message($("sale-error"), "");
      return;
    }
    quoteTimer = window.setTimeout(requote, 120);
  }

  function requote() {
    var seq = ++quoteSeq;
    call("POST", "/pos/quote", saleBody()).then(function (res) {
      if (seq !== quoteSeq) return;  // an older answer arriving late
      if (res.status !== 200 && res.data.field === "redeem_points" && state.points) {
        state.points = 0;  // a voucher made the sale smaller than the points chosen
        $("points").value = 0;
        return changed();
      }
      if (res.status !== 200) {
        lastQuote = null;
        showTotals(null);
        message($("sale-error"), res.data.error);
        lock();
        return;
      }
      lastQuote = res.data;
      message($("sale-error"), state.pending ? $("sale-error").textContent : "");
      showTotals(res.data);
      lock();
    }, function () { if (seq === quoteSeq) message($("sale-error"), T.network); });
  }

  function showTotals(q) {
    renderLines(q ? q.line_totals : null);
    $("t-subtotal").textContent = q ? q.subtotal : "—";
    $("t-total").textContent = q ? q.total : "—";
    show($("t-discount-row"), !!(q && q.discount));
    $("t-discount").textContent = q && q.discount ? "−" + q.discount : "";
    show($("t-points-row"), !!(q && q.points_value));
    $("t-points").textContent = q && q.points_value ? "−" + q.points_value : "";
    var earn = $("t-earn");
    show(earn, !!(q && state.customer));
    if (q && state.customer) earn.textContent = fmt(T.earned, { points: num(q.points_earned) });
    var points = $("points");
    if (q && state.customer) {
      points.max = String(q.cap);
      $("cap-text").textContent = fmt(T.cap, { points: num(q.cap), amount: q.cap_value || "" });
    }
  }

  function lock() {
    var ready = !!state.lines.length && !!lastQuote && !busy;
    $("commit").disabled = !(ready || (state.pending && !busy));
    $("commit-label").textContent = state.pending && !busy ? T.charge_again : $("commit").getAttribute("data-label");
    var fields = document.querySelectorAll("#add input, #add button, #picks button, #points, #points-max");
    for (var i = 0; i < fields.length; i++) fields[i].disabled = state.pending;
  }

  // --- charge -----------------------------------------------------------------------------
  function commit() {
    if (busy || !state.lines.length) return;
    if (!state.pending && !lastQuote) return;
    if (!state.receiptId) state.receiptId = receiptId();
    state.pending = true;  // from here the basket is frozen: every retry sends the same body
    save();
    busy = true;
    lock();
    renderCard();
    send(saleBody(), 0);
  }

  function send(body, attempt) {
    call("POST", "/pos/commit", body).then(function (res) {
      if (res.status === 200 || res.status === 201) return finished(res.data);
      if (res.status >= 500 && attempt < 2) return retryLater(body, attempt);
      busy = false;
      if (res.status >= 500) return stalled();
      state.pending = false;  // refused: nothing was recorded, the basket may be changed
      save();
      message($("sale-error"), res.data.error);
      lock();
      renderCard();
      renderLines(lastQuote ? lastQuote.line_totals : null);
    }, function () {
      if (attempt < 2) return retryLater(body, attempt);
      busy = false;
      stalled();
    });
  }

  function retryLater(body, attempt) {
    window.setTimeout(function () { send(body, attempt + 1); }, 600 * (attempt + 1));
  }

  function stalled() {
    message($("sale-error"), T.network);
    lock();
    $("commit").focus();
  }

  function finished(sale) {
    busy = false;
    var done = $("done");
    show($("basket"), false);
    show(done, true);
    message($("d-replayed"), sale.replayed ? T.replayed : "");
    $("d-earned").textContent = state.customer ? fmt(T.earned, { points: num(sale.points_earned) }) : "";
    var list = $("d-breakdown");
    list.textContent = "";
    sale.breakdown.forEach(function (b) {
      var li = el("li");
      li.appendChild(el("span", null, b.label));
      li.appendChild(el("span", "num", "+" + num(b.points)));
      list.appendChild(li);
    });
    $("d-total").textContent = sale.total;
    show($("d-balance-row"), sale.balance !== null);
    $("d-balance").textContent = sale.balance === null ? "" : fmt(T.points, { points: num(sale.balance) });
    show($("d-tier-row"), !!(sale.tier && sale.tier.name));
    $("d-tier").textContent = sale.tier && sale.tier.name ? sale.tier.name : "";
    var stamps = $("d-stamps");
    stamps.textContent = "";
    sale.stamps.forEach(function (s) {
      if (s.completed_now) stamps.appendChild(el("li", "win", fmt(T.free_item, { name: s.reward_name })));
      stamps.appendChild(stampItem(s));
    });
    var receipt = $("d-receipt");
    receipt.textContent = "";
    sale.receipt_lines.forEach(function (line) { receipt.appendChild(el("li", null, line)); });
    $("d-receipt-id").textContent = sale.receipt_id;
    state = fresh();
    lastQuote = null;
    save();
    $("next-sale").focus();
  }

  function newSale() {
    if (state.pending && !window.confirm(T.leave_pending)) return;
    state = fresh();
    lastQuote = null;
    busy = false;
    save();
    show($("done"), false);
    show($("basket"), true);
    message($("sale-error"), "");
    message($("find-error"), "");
    renderCard();
    changed();
    $("q").focus();
  }

  // --- wiring -----------------------------------------------------------------------------
  $("commit").setAttribute("data-label", $("commit-label").textContent);

  $("find").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = $("q").value.trim();
    if (q) find(q);
  });
  $("c-clear").addEventListener("click", function () {
    if (state.pending) return;
    state.customer = null;
    state.vouchers = [];
    state.points = 0;
    renderCard();
    changed();
    $("q").focus();
  });

  var picks = {};
  Array.prototype.forEach.call(document.querySelectorAll("#picks button"), function (b) {
    var item = { sku: b.getAttribute("data-sku"), name: b.getAttribute("data-name"),
      category: b.getAttribute("data-category"), price: b.getAttribute("data-price") };
    picks[item.sku.toUpperCase()] = item;
    b.addEventListener("click", function () {
      addLine({ sku: item.sku, name: item.name, category: item.category, quantity: 1, price: item.price });
    });
  });

  $("add").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target, sku = f.sku.value.trim(), known = picks[sku.toUpperCase()];
    var price = f.price.value.trim(), qty = parseInt(f.quantity.value, 10) || 1;
    message($("add-error"), "");
    if (!sku) return;
    if (!price && known) {  // a scanned code of a known item needs nothing more
      addLine({ sku: known.sku, name: f.name.value.trim() || known.name,
        category: f.category.value.trim() || known.category, quantity: qty, price: known.price });
    } else if (!price) {
      message($("add-error"), T.need_price);
      f.price.focus();
      return;
    } else {
      addLine({ sku: sku, name: f.name.value.trim(), category: f.category.value.trim(),
        quantity: qty, price: price });
    }
    f.reset();
    f.sku.focus();
  });

  $("points").addEventListener("change", function () {
    var n = parseInt($("points").value, 10) || 0, cap = lastQuote ? lastQuote.cap : 0;
    state.points = Math.max(0, Math.min(n, cap));
    $("points").value = state.points;
    changed();
  });
  $("points-max").addEventListener("click", function () {
    if (!lastQuote) return;
    state.points = lastQuote.cap;
    $("points").value = state.points;
    changed();
  });
  $("commit").addEventListener("click", commit);
  $("new-sale").addEventListener("click", newSale);
  $("next-sale").addEventListener("click", newSale);

  document.addEventListener("keydown", function (e) {
    if (e.key === "F2") { e.preventDefault(); $("q").focus(); $("q").select(); }
    else if (e.key === "F3") { e.preventDefault(); $("sku").focus(); }
    else if (e.key === "F9" || (e.key === "Enter" && (e.ctrlKey || e.metaKey))) {
      e.preventDefault();
      if (!$("done").hidden) newSale(); else commit();
    } else if (e.key === "Escape" && !state.pending && $("done").hidden) { $("sku").focus(); }
  });

  $("points").value = state.points;
  renderCard();
  if (state.customer) refreshCustomer();
  changed();
  if (state.pending) message($("sale-error"), T.network);
})();
