#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A minimal SMTP sink for the test bed: Dovecot's submission service relays
to it, and it writes each message to DIR/N.eml (N = 1, 2, ...) and nothing
else there, so tests can count messages by counting files.  With
--envelopes FILE each envelope is appended to FILE as one JSON line.  No
relaying, no authentication, no TLS: it only listens on 127.0.0.1.

Run: /usr/bin/python3 sink.py --dir DIR --port-file FILE [--envelopes FILE] [--port 0]
"""

import argparse
import asyncio
import json
import os
import signal
import sys

MAX_LINE = 64 * 1024
MAX_MESSAGE = 64 << 20


class Sink:
    def __init__(self, directory, envelopes):
        self.dir = directory
        self.envelopes = envelopes
        self.count = 0

    def store(self, sender, rcpts, data):
        self.count += 1
        n = self.count
        # Write under a temporary name, then rename: a test that counts
        # files never sees half a message.
        tmp = os.path.join(self.dir, ".%d.eml.tmp" % n)
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.rename(tmp, os.path.join(self.dir, "%d.eml" % n))
        if self.envelopes:
            with open(self.envelopes, "a") as fh:
                fh.write(json.dumps({"n": n, "from": sender, "to": rcpts,
                                     "bytes": len(data)}) + "\n")
        return n

    async def session(self, reader, writer):
        def say(line):
            writer.write(line.encode() + b"\r\n")

        sender, rcpts = None, []
        say("220 localhost sao-test-sink ESMTP")
        try:
            while True:
                await writer.drain()
                raw = await reader.readline()
                if not raw:
                    break
                if len(raw) > MAX_LINE:
                    say("500 5.5.2 line too long")
                    continue
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb, _, arg = line.partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    say("250-localhost")
                    say("250-PIPELINING")
                    say("250-8BITMIME")
                    say("250-SIZE %d" % MAX_MESSAGE)
                    say("250 ENHANCEDSTATUSCODES")
                elif verb == "HELO":
                    say("250 localhost")
                elif verb == "MAIL" and arg.upper().startswith("FROM:"):
                    sender, rcpts = arg[5:].strip().split(" ")[0].strip("<>"), []
                    say("250 2.1.0 ok")
                elif verb == "RCPT" and arg.upper().startswith("TO:"):
                    if sender is None:
                        say("503 5.5.1 MAIL first")
                        continue
                    rcpts.append(arg[3:].strip().split(" ")[0].strip("<>"))
                    say("250 2.1.5 ok")
                elif verb == "DATA":
                    if not rcpts:
                        say("503 5.5.1 RCPT first")
                        continue
                    say("354 end with <CRLF>.<CRLF>")
                    await writer.drain()
                    chunks, size = [], 0
                    while True:
                        chunk = await reader.readline()
                        if not chunk:
                            return
                        if chunk in (b".\r\n", b".\n"):
                            break
                        if chunk.startswith(b"."):   # RFC 5321 4.5.2
                            chunk = chunk[1:]
                        size += len(chunk)
                        if size <= MAX_MESSAGE:
                            chunks.append(chunk)
                    if size > MAX_MESSAGE:
                        say("552 5.3.4 message too big")
                    else:
                        n = self.store(sender, rcpts, b"".join(chunks))
                        say("250 2.0.0 ok queued as %d" % n)
                    sender, rcpts = None, []
                elif verb == "RSET":
                    sender, rcpts = None, []
                    say("250 2.0.0 ok")
                elif verb == "NOOP":
                    say("250 2.0.0 ok")
                elif verb == "QUIT":
                    say("221 2.0.0 bye")
                    break
                else:
                    say("502 5.5.2 command not implemented")
            await writer.drain()
        except (ConnectionError, ValueError, asyncio.IncompleteReadError):
            # ValueError: a line beyond the reader's limit; drop the client.
            pass
        finally:
            writer.close()


async def serve(args):
    sink = Sink(args.dir, args.envelopes)
    server = await asyncio.start_server(sink.session, "127.0.0.1", args.port, limit=MAX_LINE * 2)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    sys.stderr.write("sink listening on 127.0.0.1:%d pid %d\n" % (port, os.getpid()))
    sys.stderr.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--envelopes")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
