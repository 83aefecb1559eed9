import type { IncomingMessage } from 'node:http';
import type { ApiRequest, ApiResponse } from './http-types';
import { requestIdMiddleware, requestIdOf } from './request-id';

const req = (headers: IncomingMessage['headers'] = {}) => ({ headers }) as ApiRequest;
const res = () => {
  const headers: Record<string, unknown> = {};
  return { headers, setHeader: (name: string, value: unknown) => (headers[name] = value) } as unknown as ApiResponse & {
    headers: Record<string, unknown>;
  };
};

describe('request ids', () => {
  it("keeps the caller's X-Request-Id, and the same id however often it is asked", () => {
    const request = req({ 'x-request-id': 'abc-1.2:3_4' });
    expect(requestIdOf(request)).toBe('abc-1.2:3_4');
    expect(requestIdOf(request)).toBe('abc-1.2:3_4');
  });

  it('generates one UUID per request when none is sent', () => {
    const request = req();
    const id = requestIdOf(request);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(request)).toBe(id);
    expect(requestIdOf(req())).not.toBe(id);
  });

  it('echoes the id and passes a refusal on for a malformed header, with a fresh id', () => {
    const response = res();
    const next = jest.fn();
    requestIdMiddleware(req({ 'x-request-id': 'no spaces allowed' }), response, next);
    expect(next).toHaveBeenCalledWith(expect.objectContaining({ code: 'REQUEST.INVALID_HEADER' }));
    expect(response.headers['X-Request-Id']).toMatch(/^[0-9a-f-]{36}$/);

    const ok = res();
    const pass = jest.fn();
    requestIdMiddleware(req({ 'x-request-id': 'fine' }), ok, pass);
    expect(pass).toHaveBeenCalledWith();
    expect(ok.headers['X-Request-Id']).toBe('fine');
  });
});
