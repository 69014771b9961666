// RFC 7692 negotiation, as header values in and the agreement out.
import { describe, expect, it } from "vitest";
import {
  acceptClientAnswer,
  clientOffer,
  negotiateServer,
  parseExtensions,
  resolveDeflate,
} from "../host-core/permessage-deflate.ts";

const server = (o: object | true = true) => resolveDeflate(o, true)!;
const client = (o: object | true = true) => resolveDeflate(o, false)!;

describe("Sec-WebSocket-Extensions syntax (RFC 6455 9.1, RFC 7230 7)", () => {
  it("parses extensions, parameters, quoted values and empty list elements", () => {
    const list = parseExtensions(
      ' foo, permessage-deflate ; client_max_window_bits ; server_max_window_bits="10" ,, bar;x=1',
    );
    expect(list?.map((e) => [e.name, [...e.params]])).toEqual([
      ["foo", []],
      [
        "permessage-deflate",
        [
          ["client_max_window_bits", true],
          ["server_max_window_bits", "10"],
        ],
      ],
      ["bar", [["x", "1"]]],
    ]);
  });

  it("refuses what is not the grammar", () => {
    for (const bad of ["a;", "a;=1", "a b", 'a;x="1', 'a;x="a b"', "a;x=1;x=2", ";x"])
      expect(parseExtensions(bad), bad).toBeNull();
  });
});

describe("the server's answer (RFC 7692 7.1)", () => {
  it("by default answers without context takeover in both directions", () => {
    const a = negotiateServer("permessage-deflate; client_max_window_bits", server());
    expect(a?.header).toBe("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    expect(a).toMatchObject({ ownContext: false, peerContext: false, ownWindowBits: 15, peerWindowBits: 15 });
  });

  it("keeps context when allowed, unless the client asks us not to", () => {
    const o = server({ serverNoContextTakeover: false, clientNoContextTakeover: false });
    expect(negotiateServer("permessage-deflate", o)?.header).toBe("permessage-deflate");
    const a = negotiateServer(
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      o,
    );
    expect(a?.header).toBe("permessage-deflate; server_no_context_takeover");
    expect(a).toMatchObject({ ownContext: false, peerContext: true });
  });

  it("answers server_max_window_bits with the offered value or less, and 8 is accepted", () => {
    const o = server({ serverMaxWindowBits: 10 });
    expect(negotiateServer("permessage-deflate; server_max_window_bits=12", o)?.header).toContain(
      "server_max_window_bits=10",
    );
    const eight = negotiateServer("permessage-deflate; server_max_window_bits=8", server());
    expect(eight).toMatchObject({ ownWindowBits: 8 });
    expect(eight?.header).toContain("server_max_window_bits=8");
  });

  it("asks for a smaller client window only of a client that supports the parameter", () => {
    const o = server({ clientMaxWindowBits: 10 });
    const a = negotiateServer("permessage-deflate; client_max_window_bits", o);
    expect(a?.header).toContain("client_max_window_bits=10");
    expect(a?.peerWindowBits).toBe(10);
    expect(negotiateServer("permessage-deflate", o)).toBeUndefined();
    expect(negotiateServer("permessage-deflate; client_max_window_bits=9", o)).toMatchObject({
      peerWindowBits: 9,
    });
  });

  it("declines an unacceptable offer and takes the first acceptable one", () => {
    for (const bad of [
      "permessage-deflate; unknown",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=010",
      "permessage-deflate; client_max_window_bits=abc",
      "permessage-deflate; server_no_context_takeover=1",
      "x-webkit-deflate-frame",
    ])
      expect(negotiateServer(bad, server()), bad).toBeUndefined();
    const a = negotiateServer(
      "permessage-deflate; server_max_window_bits=20, permessage-deflate; server_max_window_bits=9",
      server(),
    );
    expect(a).toMatchObject({ ownWindowBits: 9 });
  });

  it("validates its options once", () => {
    expect(() => resolveDeflate({ clientMaxWindowBits: 8 }, true)).toThrow(/9 to 15/);
    expect(() => resolveDeflate({ serverMaxWindowBits: 16 }, true)).toThrow(/8 to 15/);
    expect(() => resolveDeflate({ level: 0 }, true)).toThrow(/level/);
    expect(resolveDeflate(false, true)).toBeNull();
  });
});

describe("the client's offer and its check of the answer (RFC 7692 7.1)", () => {
  it("offers client_max_window_bits, as browsers do", () => {
    expect(clientOffer(client())).toBe("permessage-deflate; client_max_window_bits");
    expect(clientOffer(client({ clientMaxWindowBits: 10, serverNoContextTakeover: true }))).toBe(
      "permessage-deflate; client_max_window_bits=10; server_no_context_takeover",
    );
  });

  it("takes what the server answered", () => {
    const a = acceptClientAnswer(
      "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
      client(),
    );
    expect(a).toMatchObject({ ownContext: true, ownWindowBits: 9, peerContext: false, peerWindowBits: 15 });
    expect(acceptClientAnswer("", client())).toBeUndefined();
  });

  it("fails an answer outside the offer", () => {
    for (const bad of [
      "permessage-deflate; foo",
      "permessage-deflate, permessage-deflate",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; client_no_context_takeover=x",
      "permessage-deflate; client_max_window_bits",
    ]) {
      const r = acceptClientAnswer(bad, client());
      expect(r, bad).toBeInstanceOf(Error);
      expect((r as { code: string }).code).toBe("WS_ERR_HANDSHAKE_DEFLATE");
    }
    const smaller = client({ serverMaxWindowBits: 10 });
    expect(acceptClientAnswer("permessage-deflate; server_max_window_bits=11", smaller)).toBeInstanceOf(
      Error,
    );
  });
});
