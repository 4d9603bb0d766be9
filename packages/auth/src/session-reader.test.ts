import { encode } from "next-auth/jwt";
import { describe, expect, it } from "vitest";
import { createSessionReader } from "./session-reader.ts";

const secret = "x".repeat(44);
const COOKIE = "authjs.session-token";

async function cookieFor(claims: Record<string, unknown>, maxAge = 3600, name = COOKIE, key = secret): Promise<Headers> {
  const jwe = await encode({ token: claims, secret: key, salt: name, maxAge });
  return new Headers({ cookie: `other=1; ${name}=${jwe}` });
}

describe("session reader (API requests)", () => {
  it("reads the user id and session version Auth.js put in the session cookie", async () => {
    const read = createSessionReader({ secret, secureCookies: false });
    expect(await read(await cookieFor({ uid: "u-1", sv: 3 }))).toEqual({ userId: "u-1", sessionVersion: 3 });
  });

  it("refuses no cookie, a bearer token, another secret, a tampered token, missing claims", async () => {
    const read = createSessionReader({ secret, secureCookies: false });
    expect(await read(new Headers())).toBeNull();
    const jwe = await encode({ token: { uid: "u-1", sv: 1 }, secret, salt: COOKIE });
    expect(await read(new Headers({ authorization: `Bearer ${jwe}` }))).toBeNull();
    expect(await read(await cookieFor({ uid: "u-1", sv: 1 }, 3600, COOKIE, "y".repeat(44)))).toBeNull();
    const good = (await cookieFor({ uid: "u-1", sv: 1 })).get("cookie")!;
    const tampered = good.slice(0, -6) + (good.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");
    expect(await read(new Headers({ cookie: tampered }))).toBeNull();
    expect(await read(await cookieFor({ uid: "u-1" }))).toBeNull();
    // The secure cookie name on an https deployment, not the plain one.
    const secure = createSessionReader({ secret, secureCookies: true });
    expect(await secure(await cookieFor({ uid: "u-1", sv: 1 }))).toBeNull();
    expect(await secure(await cookieFor({ uid: "u-1", sv: 1 }, 3600, `__Secure-${COOKIE}`))).toEqual({ userId: "u-1", sessionVersion: 1 });
  });

  it("refuses an expired token, also one it remembered while it was valid", async () => {
    let clock = Date.now();
    const read = createSessionReader({ secret, secureCookies: false, now: () => clock });
    const h = await cookieFor({ uid: "u-2", sv: 1 }, 60);
    expect(await read(h)).toEqual({ userId: "u-2", sessionVersion: 1 });
    clock += 61_000;
    expect(await read(h)).toBeNull();
    expect(await read(await cookieFor({ uid: "u-3", sv: 1 }, -60))).toBeNull();
  });

  it("keeps at most cacheSize tokens and still answers for dropped ones", async () => {
    const read = createSessionReader({ secret, secureCookies: false, cacheSize: 2 });
    const hs = await Promise.all([1, 2, 3].map((i) => cookieFor({ uid: `u-${i}`, sv: i })));
    for (const h of hs) await read(h);
    for (const [i, h] of hs.entries()) expect(await read(h)).toEqual({ userId: `u-${i + 1}`, sessionVersion: i + 1 });
  });
});
