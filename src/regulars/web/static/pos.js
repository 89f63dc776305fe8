// The till: find the customer, build the basket, quote as it changes, charge exactly once.
// One receipt id is drawn per basket and sent on every attempt until the sale is confirmed, so
// a double click or a retry after a lost answer replays the first sale on the server.
//
// Sections: helpers · server · state · customer card · vouchers · basket · price entry ·
// quote · charge button and phone bar · charge · after the sale · wiring.
// Anything that puts items in the basket goes through addLine / addItem; anything shown on the
// customer card is one function in CARD_PARTS.
(function () {
  "use strict";
  var root = document.getElementById("pos");
  if (!root) return;
  var T = JSON.parse(document.getElementById("pos-text").textContent);
  var FREE_ITEMS = JSON.parse(document.getElementById("pos-free-items").textContent);
  var csrf = root.getAttribute("data-csrf");
  var store = root.getAttribute("data-store");
  var currency = root.getAttribute("data-currency");
  var digits = parseInt(root.getAttribute("data-digits"), 10) || 0;
  var pointsPayment = root.getAttribute("data-points-payment") === "1";
  var KEY = "regulars.pos." + store;
  var MAX_QTY = 100000, MAX_MINOR = 1e12;
  var $ = function (id) { return document.getElementById(id); };
  var lang = document.documentElement.lang;

  // --- helpers ----------------------------------------------------------------------------
  function num(n) { return Number(n).toLocaleString(lang); }
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
  function without(list, value) { return list.filter(function (x) { return x !== value; }); }
  function flash(node, cls) {  // restart a short CSS animation
    node.classList.remove(cls);
    void node.offsetWidth;
    node.classList.add(cls);
  }
  function randomKey() {
    var bytes = new Uint8Array(16), out = "";
    window.crypto.getRandomValues(bytes);  // works on a plain-http LAN address too
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }
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

  // --- server -----------------------------------------------------------------------------
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

  // --- state ------------------------------------------------------------------------------
  // `state` is the sale being rung up (kept in the tab, so a reload keeps it). `after` is the
  // sale just recorded, shown until the next one starts. `lastQuote` is the newest priced
  // answer; `basketError` is what the server found wrong with the basket itself, if anything.
  var state = load() || fresh();
  state.notes = state.notes || {};
  var after = null, lastQuote = null, basketError = null;
  var quoteSeq = 0, quoteTimer = null, busy = false, lastAdded = "";

  function fresh() {
    return { customer: null, lines: [], vouchers: [], points: 0, receiptId: null, pending: false,
             redeemKeys: {}, notes: {}, coupons: [] };
  }
  function load() {
    try { return JSON.parse(window.sessionStorage.getItem(KEY)); } catch (e) { return null; }
  }
  function save() {
    try { window.sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }
  function frozen() { return state.pending || !!after; }
  function shownCard() { return state.customer || (after && after.card) || null; }

  // --- customer card ----------------------------------------------------------------------
  var CARD_PARTS = [renderWho, renderStats, renderPerksAndUsual, renderStamps, renderVouchers, renderRewards];

  function renderCard() {
    var c = shownCard();
    show($("card"), !!c);
    show($("anon"), !c);
    show($("pay-points"), !!state.customer && pointsPayment);
    if (!c) return;
    CARD_PARTS.forEach(function (part) { part(c); });
  }

  function renderWho(c) {
    $("c-name").textContent = c.name || c.code;
    $("c-phone").textContent = c.phone;
    $("c-code").textContent = c.code;
    show($("c-birthday"), c.birthday_month);
    $("c-clear").disabled = frozen();
  }

  function renderStats(c) {
    $("c-balance").textContent = fmt(T.points, { points: num(c.balance) });
    $("c-tier").textContent = c.tier.name || T.no_tier;
    $("c-progress").value = c.tier.progress;
    show($("c-progress"), !!c.tier.to_next);
    $("c-next").textContent = c.tier.next_name && c.tier.to_next
      ? fmt(T.to_next, { amount: c.tier.to_next, tier: c.tier.next_name }) : (c.tier.name ? T.top_tier : "");
    message($("c-expiring"), c.expiring_soon ? fmt(T.expiring, { points: num(c.expiring_soon), days: c.expiring_days }) : "");
  }

  function renderStamps(c) {
    var stamps = $("c-stamps");
    stamps.textContent = "";
    c.stamps.forEach(function (s) { stamps.appendChild(stampItem(s)); });
  }

  // The tier's perks, what the next tier adds, and the customer's usual basket.
  function renderPerksAndUsual(c) {
    var t = c.tier, perks = $("c-perks");
    perks.textContent = "";
    function block(title, times, text, fallback) {
      if (!times && !text && !fallback) return;
      var div = el("div", "perks");
      div.appendChild(el("h3", null, title));
      if (times) div.appendChild(el("p", "small", fmt(T.times, { times: times })));
      if (text) div.appendChild(el("p", "perk-text", text));
      if (!times && !text) div.appendChild(el("p", "muted small", fallback));
      perks.appendChild(div);
    }
    if (t.name) block(fmt(T.tier_perks, { tier: t.name }), t.multiplier_text, t.perks, "");
    if (t.next_name) block(fmt(T.next_adds, { tier: t.next_name }), t.next_multiplier_text, t.next_perks, T.no_perks);
    var usual = c.usual || [];
    show($("c-usual"), usual.length > 0 && !!state.customer);  // not on a finished sale's card
    $("c-usual-items").textContent = usual.map(function (u) {
      return num(u.quantity) + " × " + (u.name || u.sku) + " (" + u.price_text + ")";
    }).join(", ");
    $("c-usual-add").disabled = frozen();
  }

  function addUsual() {
    if (!state.customer || frozen()) return;
    (state.customer.usual || []).forEach(function (u) {
      addLine({ sku: u.sku, name: u.name, category: u.category, quantity: u.quantity, price: u.price });
    });  // like a quick pick, it leaves the focus where it is: no phone keyboard pops up
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

  function renderVouchers(c) {
    var list = $("c-vouchers");
    list.textContent = "";
    if (!c.vouchers.length) list.appendChild(el("li", "muted small", T.no_vouchers));
    c.vouchers.forEach(function (v) {
      var li = el("li", "voucher-row"), label = el("label", "check"), box = el("input");
      li.setAttribute("data-code", v.code);
      box.type = "checkbox";
      box.value = v.code;
      box.checked = state.vouchers.indexOf(v.code) >= 0;
      box.disabled = frozen();
      box.addEventListener("change", function () { tickVoucher(v, box.checked); });
      label.appendChild(box);
      var text = el("span", null, v.name + " ");
      text.appendChild(el("small", "muted num", v.code_text + " · " + fmt(T.until, { date: v.expires })));
      label.appendChild(text);
      li.appendChild(label);
      var note = state.notes[v.code];
      if (note && !after) {
        var why = el("p", note.ok ? "voucher-note ok small" : "voucher-note field-error", note.text);
        why.id = "why-" + v.code;
        box.setAttribute("aria-describedby", why.id);
        li.appendChild(why);
      }
      list.appendChild(li);
    });
  }

  function renderRewards(c) {
    var list = $("c-rewards");
    list.textContent = "";
    if (!c.rewards.length) list.appendChild(el("li", "muted small", T.no_rewards));
    c.rewards.forEach(function (r) {
      var li = el("li", "reward-row");
      li.appendChild(el("span", null, r.name));
      var b = el("button", "small-button", fmt(T.redeem, { points: num(r.cost) }));
      b.type = "button";
      b.disabled = !r.affordable || frozen();
      b.addEventListener("click", function () { redeem(r, b); });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function find(q) {
    message($("find-error"), "");
    return call("GET", "/pos/customer?q=" + encodeURIComponent(q)).then(function (res) {
      if (res.status !== 200) {
        message($("find-error"), res.data.error);
        $("q").select();
        return;
      }
      startIfDone();
      setCustomer(res.data);
      $("q").value = "";
      $("sku").focus();
    }, function () { message($("find-error"), T.network); });
  }

  function setCustomer(card) {
    if (!state.customer || state.customer.id !== card.id) {
      state.vouchers = [];
      state.notes = {};
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
      var voucher = state.customer.vouchers.filter(function (v) { return v.code === res.data.voucher; })[0];
      tickVoucher(voucher || { code: res.data.voucher, kind: "" }, true);
    }, function () { message($("find-error"), T.network); button.disabled = false; });
  }

  // --- vouchers ---------------------------------------------------------------------------
  // A ticked voucher that does not fit the sale is unticked with its reason beside it; the
  // sale itself stays chargeable. A free-item voucher brings its item into the basket.
  function tickVoucher(v, on) {
    state.vouchers = without(state.vouchers, v.code);
    delete state.notes[v.code];
    if (on) {
      state.vouchers.push(v.code);
      if (v.kind === "free_item") bringFreeItem(v);
    }
    renderCard();
    changed();
  }

  function voucherOf(code) {
    var c = state.customer;
    return c ? c.vouchers.filter(function (v) { return v.code === code; })[0] : null;
  }

  function unitsOf(sku) {
    return state.lines.reduce(function (n, l) { return n + (l.sku === sku ? l.quantity : 0); }, 0);
  }

  function bringFreeItem(v) {
    if (!v.sku) return;  // any item: it comes off the cheapest line
    var wanted = state.vouchers.filter(function (code) {
      var other = voucherOf(code);
      return other && other.kind === "free_item" && other.sku === v.sku;
    }).length;
    if (unitsOf(v.sku) >= wanted) return;  // already in the basket
    var item = FREE_ITEMS[v.sku];
    if (item) {
      addItem(item, 1);
      state.notes[v.code] = { ok: true, text: fmt(T.added_for_voucher, { item: item.name || item.sku }) };
      return;
    }
    // The till does not know its price: untick it and ask for the item, with its SKU typed in
    // the item form unless the cashier is typing another one there.
    state.vouchers = without(state.vouchers, v.code);
    state.notes[v.code] = { ok: false, text: fmt(T.needs_item, { item: v.sku }) };
    var form = $("add");
    if (form.sku.value.trim() && form.sku.value.trim() !== v.sku) return;
    form.sku.value = v.sku;
    form.price.focus();
  }

  function refuseVoucher(code, text) {
    if (state.vouchers.indexOf(code) < 0) return false;
    state.vouchers = without(state.vouchers, code);
    state.notes[code] = { ok: false, text: text };
    renderCard();
    return true;
  }

  // --- basket -----------------------------------------------------------------------------
  function addItem(item, quantity) {
    addLine({ sku: item.sku, name: item.name, category: item.category, quantity: quantity,
      price: item.price });
  }

  function addLine(line) {
    startIfDone();
    var same = state.lines.filter(function (l) { return l.sku === line.sku && l.price === line.price; })[0];
    if (same) same.quantity = Math.min(MAX_QTY, same.quantity + line.quantity);
    else state.lines.push(line);
    if (!state.receiptId) state.receiptId = receiptId();
    barNote(fmt(T.added, { name: line.name || line.sku }));
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
      qty.max = String(MAX_QTY);
      qty.value = line.quantity;
      qty.disabled = state.pending;
      qty.setAttribute("aria-label", fmt(T.quantity_of, { name: line.name || line.sku }));
      qty.addEventListener("change", function () {
        var n = parseInt(qty.value, 10);
        line.quantity = n > 0 ? Math.min(n, MAX_QTY) : 1;
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
        lastAdded = "";
        changed();
        $("sku").focus();
      });
      li.appendChild(remove);
      if (basketError && basketError.line === i) {
        li.classList.add("bad");
        li.appendChild(el("p", "field-error line-error", basketError.text));
      }
      list.appendChild(li);
    });
  }

  function renderPicks() {  // how many of each quick pick are in the basket, on the pick itself
    Array.prototype.forEach.call(document.querySelectorAll("#picks button"), function (b) {
      var n = unitsOf(b.getAttribute("data-sku")), badge = b.querySelector(".in-basket");
      badge.firstChild.textContent = "×" + num(n);
      show(badge, n > 0);
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
      coupon_codes: (state.coupons || []).slice(),
      redeem_points: state.customer ? state.points : 0
    };
  }

  // --- coupons: typed or scanned codes; the server says why one cannot go on the basket ---
  function renderCoupons(q) {
    var list = $("coupons");
    list.textContent = "";
    (state.coupons || []).forEach(function (code, i) {
      var li = el("li", "coupon-row");
      li.appendChild(el("span", "num", code));
      var off = q && q.coupons && q.coupons[i] ? "−" + q.coupons[i].discount : "…";
      li.appendChild(el("span", "num", off));
      var remove = el("button", "link remove", "×");
      remove.type = "button";
      remove.disabled = state.pending;
      remove.setAttribute("aria-label", T.remove + ": " + code);
      remove.addEventListener("click", function () {
        state.coupons.splice(i, 1);
        changed();
      });
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  function applyCoupon(code) {
    message($("coupon-error"), "");
    var body = saleBody();
    var check = { code: code, customer_id: body.customer_id, lines: body.lines,
                  coupon_codes: body.coupon_codes };
    $("coupon-apply").disabled = true;
    call("POST", "/pos/coupon", check).then(function (res) {
      $("coupon-apply").disabled = state.pending;
      if (res.status === 200 && res.data.valid) {
        state.coupons = (state.coupons || []).concat([res.data.code]);
        $("coupon").value = "";
        changed();
        return;
      }
      message($("coupon-error"), res.data.reason || res.data.error);
      $("coupon").select();
    }, function () {
      $("coupon-apply").disabled = state.pending;
      message($("coupon-error"), T.network);
    });
  }

  function couponRefused(res) {
    // A coupon on the basket no longer fits it (an item removed, the customer changed): take
    // it off, say why, and price the basket again.
    var m = /^coupon_codes\.(\d+)$/.exec(res.data.field || "");
    if (!m || !state.coupons || !state.coupons[+m[1]]) return false;
    var code = state.coupons.splice(+m[1], 1)[0];
    message($("coupon-error"), fmt(T.coupon_dropped, { code: code, reason: res.data.error }));
    return true;
  }

  // --- price entry ------------------------------------------------------------------------
  // The price is checked where it is typed, in the currency's decimals, as the server reads it
  // (Burmese, Lao and Arabic-Indic digits, thousands commas); a refused price never enters
  // the basket, so the basket keeps its totals.
  var OTHER_DIGITS = [0x1040, 0x0ED0, 0x0660, 0x06F0];  // Myanmar, Lao, Arabic-Indic, Persian zeros

  function asciiDigits(text) {
    return text.replace(/[\u1040-\u1049\u0ED0-\u0ED9\u0660-\u0669\u06F0-\u06F9]/g, function (ch) {
      var code = ch.charCodeAt(0);
      for (var i = 0; i < OTHER_DIGITS.length; i++) {
        if (code >= OTHER_DIGITS[i] && code <= OTHER_DIGITS[i] + 9) return String(code - OTHER_DIGITS[i]);
      }
      return ch;
    });
  }

  function priceProblem(text) {
    var cleaned = asciiDigits(text).replace(/[, \u00a0]/g, "");
    if (!/^(\d+\.?\d*|\.\d+)$/.test(cleaned)) {
      var example = "12" + (digits ? "." + "50000000".slice(0, digits) : "");
      return fmt(T.price_number, { example: example });
    }
    var decimals = (cleaned.split(".")[1] || "").replace(/0+$/, "");
    if (decimals.length > digits) {
      return digits ? fmt(T.price_decimals, { digits: num(digits), currency: currency })
        : fmt(T.price_whole, { currency: currency });
    }
    if (Number(cleaned) * Math.pow(10, digits) > MAX_MINOR) return T.price_big;
    return "";
  }

  function priceError(text) {
    var field = $("price");
    message($("price-error"), text);
    if (text) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }

  function checkPrice() {
    var text = $("price").value.trim();
    var problem = text ? priceProblem(text) : "";
    priceError(problem);
    return !problem;
  }

  // --- quote ------------------------------------------------------------------------------
  function changed() {
    save();
    basketError = null;  // until the next answer says otherwise
    renderLines(null);
    renderPicks();
    lock();
    window.clearTimeout(quoteTimer);
    if (!state.lines.length) {
      lastQuote = null;
      showTotals(null);
      message($("sale-error"), "");
      lock();
      return;
    }
    quoteTimer = window.setTimeout(requote, 120);
  }

  function requote() {
    var seq = ++quoteSeq;
    call("POST", "/pos/quote", saleBody()).then(function (res) {
      if (seq !== quoteSeq) return;  // an older answer arriving late
      if (res.status === 200) return quoted(res.data);
      if (res.data.field === "redeem_points" && state.points) {
        state.points = 0;  // a voucher made the sale smaller than the points chosen
        $("points").value = 0;
        return changed();
      }
      if (res.data.voucher !== undefined && refuseVoucher(res.data.voucher, res.data.error)) {
        return changed();
      }
      if (couponRefused(res)) return changed();
      // The basket itself is wrong (a line's price, say): name the line, keep Charge off.
      var line = /^lines\.(\d+)\./.exec(res.data.field || "");
      lastQuote = null;
      basketError = { text: res.data.error, line: line ? parseInt(line[1], 10) : null };
      showTotals(null);
      lock();
    }, function () {
      if (seq !== quoteSeq) return;
      message($("sale-error"), T.network);
      quoteTimer = window.setTimeout(requote, 2000);  // ask again until the server answers
    });
  }

  function quoted(q) {
    lastQuote = q;
    basketError = null;
    if (!state.pending) message($("sale-error"), "");
    showTotals(q);
    lock();
  }

  function showTotals(q) {
    renderLines(q ? q.line_totals : null);
    renderCoupons(q);
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

  // --- charge button and phone bar --------------------------------------------------------
  // Charge is off only while charging, for an empty basket, or when the basket itself is
  // wrong; the reason is always shown beside it. Vouchers never turn it off.
  function chargeState() {
    if (busy) return { on: false, why: T.charging };
    if (state.pending) return { on: true, label: T.charge_again };
    if (!state.lines.length) return { on: false, why: T.charge_empty };
    if (basketError) return { on: false, why: basketError.text };
    if (!lastQuote) return { on: false, why: T.charge_wait, waiting: true };
    return { on: true };
  }

  function lock() {
    var charge = chargeState();
    $("commit").disabled = !charge.on;
    $("bar-charge").disabled = !charge.on;
    $("commit-label").textContent = charge.label || $("commit").getAttribute("data-label");
    $("bar-charge").textContent = charge.label || $("commit").getAttribute("data-label");
    message($("charge-why"), charge.on ? "" : charge.why);
    var fields = document.querySelectorAll("#add input, #add button, #picks button, #points, #points-max, #coupon, #coupon-apply");
    for (var i = 0; i < fields.length; i++) fields[i].disabled = state.pending;
    renderBar(charge);
  }

  function renderBar(charge) {
    show($("pos-bar"), !after);
    var count = state.lines.reduce(function (n, l) { return n + l.quantity; }, 0);
    $("bar-count").textContent = fmt(T.bar_items, { count: num(count) });
    $("bar-total").textContent = lastQuote && state.lines.length ? lastQuote.total : "—";
    // What the last tap added, or why Charge is off.
    $("bar-note").textContent = charge.on ? lastAdded : (charge.waiting && lastAdded) || charge.why;
  }

  function barNote(text) {  // confirms a tap: the total flashes, the note names the item
    lastAdded = text;
    flash($("pos-bar"), "bumped");
  }

  // --- charge -----------------------------------------------------------------------------
  function commit() {
    if (busy || !state.lines.length || !chargeState().on) return;
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
      renderCard();
      if (res.data.voucher !== undefined && refuseVoucher(res.data.voucher, res.data.error)) {
        return changed();  // a voucher used meanwhile, say: the sale goes on without it
      }
      if (couponRefused(res)) return changed();  // a code used up meanwhile, say
      message($("sale-error"), res.data.error);
      lock();
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

  // --- after the sale ---------------------------------------------------------------------
  // The customer card is replaced by the one the sale answered with (new balance, stamps and
  // vouchers); the receipt lists the items, then the totals and the loyalty lines.
  function finished(sale) {
    busy = false;
    after = sale;
    state = fresh();
    lastQuote = null;
    basketError = null;
    save();
    show($("basket"), false);
    renderDone(sale);
    renderCard();
    renderPicks();
    lock();
    var done = $("done");
    show(done, true);
    var top = done.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight / 2) done.scrollIntoView({ block: "start" });  // phones
    $("next-sale").focus({ preventScroll: true });
  }

  function renderDone(sale) {
    message($("d-replayed"), sale.replayed ? T.replayed : "");
    $("d-earned").textContent = sale.balance !== null ? fmt(T.earned, { points: num(sale.points_earned) }) : "";
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
    });
    renderReceipt(sale);
  }

  function receiptRow(cells, scope) {
    var tr = el("tr");
    cells.forEach(function (text, i) { tr.appendChild(el(i ? "td" : "th", i ? "num" : null, text)); });
    tr.firstChild.setAttribute("scope", scope || "row");
    return tr;
  }

  function renderReceipt(sale) {
    // In the receipt's own language (the customer's), which may not be the cashier's.
    var r = sale.receipt, table = $("d-items"), head = table.tHead, body = table.tBodies[0], foot = table.tFoot;
    $("d-print").setAttribute("lang", r.lang);
    $("d-print").setAttribute("dir", r.dir);
    head.textContent = "";
    body.textContent = "";
    foot.textContent = "";
    var labels = receiptRow([r.labels.item, r.labels.quantity, r.labels.amount]);
    Array.prototype.forEach.call(labels.children, function (cell) {
      var th = el("th", null, cell.textContent);
      th.setAttribute("scope", "col");
      labels.replaceChild(th, cell);
    });
    head.appendChild(labels);
    $("d-receipt-title").textContent = r.labels.receipt;
    $("d-receipt-label").textContent = r.labels.receipt_number;
    r.items.forEach(function (item) { body.appendChild(receiptRow([item.name, item.quantity, item.amount])); });
    r.sums.forEach(function (sum) { foot.appendChild(receiptRow([sum[0], "", sum[1]])); });
    var lines = $("d-receipt");
    lines.textContent = "";
    sale.receipt_lines.forEach(function (line) { lines.appendChild(el("li", null, line)); });
    $("d-receipt-id").textContent = sale.receipt_id;
  }

  function startIfDone() {  // the next item or customer after a sale starts the next sale
    if (after) newSale(true);
  }

  function newSale(quiet) {
    if (state.pending && !window.confirm(T.leave_pending)) return;
    state = fresh();
    after = null;
    lastQuote = null;
    basketError = null;
    lastAdded = "";
    busy = false;
    save();
    show($("done"), false);
    show($("basket"), true);
    message($("sale-error"), "");
    message($("find-error"), "");
    message($("coupon-error"), "");
    renderCard();
    changed();
    if (quiet !== true) $("q").focus();
  }

  // --- wiring -----------------------------------------------------------------------------
  $("commit").setAttribute("data-label", $("commit-label").textContent);

  $("find").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = $("q").value.trim();
    if (q) find(q);
  });
  $("c-clear").addEventListener("click", function () {
    if (frozen()) return;
    state.customer = null;
    state.vouchers = [];
    state.notes = {};
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
      addItem(item, 1);
      flash(b, "tapped");
    });
  });

  $("price").addEventListener("change", checkPrice);
  $("price").addEventListener("input", function () {
    if (!$("price-error").hidden) checkPrice();  // an error goes as soon as it is fixed
  });

  $("add").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target, sku = f.sku.value.trim(), known = picks[sku.toUpperCase()];
    var price = f.price.value.trim(), qty = Math.min(parseInt(f.quantity.value, 10) || 1, MAX_QTY);
    if (!sku) return;
    if (!price && known) {  // a scanned code of a known item needs nothing more
      addLine({ sku: known.sku, name: f.name.value.trim() || known.name,
        category: f.category.value.trim() || known.category, quantity: qty, price: known.price });
    } else if (!price) {
      priceError(T.need_price);
      f.price.focus();
      return;
    } else if (!checkPrice()) {
      f.price.focus();
      f.price.select();
      return;
    } else {
      addLine({ sku: sku, name: f.name.value.trim(), category: f.category.value.trim(),
        quantity: qty, price: price });
    }
    f.reset();
    priceError("");
    f.sku.focus();
    retickWaiting(sku);
  });

  function retickWaiting(sku) {
    // A free-item voucher that was waiting for its item is applied once the item is added.
    var c = state.customer;
    if (!c) return;
    c.vouchers.forEach(function (v) {
      var note = state.notes[v.code];
      if (v.kind === "free_item" && v.sku === sku && note && !note.ok && state.vouchers.indexOf(v.code) < 0) {
        tickVoucher(v, true);
      }
    });
  }

  $("coupon-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var code = $("coupon").value.trim();
    if (code && !state.pending) applyCoupon(code);
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
  $("c-usual-add").addEventListener("click", addUsual);
  $("commit").addEventListener("click", commit);
  $("bar-charge").addEventListener("click", commit);
  $("new-sale").addEventListener("click", newSale);
  $("next-sale").addEventListener("click", newSale);
  $("print-receipt").addEventListener("click", function () { window.print(); });

  document.addEventListener("keydown", function (e) {
    if (e.key === "F2") { e.preventDefault(); $("q").focus(); $("q").select(); }
    else if (e.key === "F3") { e.preventDefault(); $("sku").focus(); }
    else if (e.key === "F9" || (e.key === "Enter" && (e.ctrlKey || e.metaKey))) {
      e.preventDefault();
      if (after) newSale(); else commit();
    } else if (e.key === "Escape" && !state.pending && !after) { $("sku").focus(); }
  });

  $("points").value = state.points;
  renderCard();
  if (state.customer) refreshCustomer();
  changed();
  if (state.pending) message($("sale-error"), T.network);
})();
