# hold.py: a python3 target for the real-program suite (internal/realprog).
#
# usage: python3 hold.py ENTRIES LIFETIME_S
#
# Reads the secret, one line, from stdin and keeps it in a dict of ENTRIES
# string keys, while a thread keeps rewriting some of the values. Prints
# "ready" on stdout once everything is in place, then runs until stdin
# closes or LIFETIME_S seconds have passed.
import os
import sys
import threading
import time


def churn(table, entries):
    n = 0
    while True:
        for _ in range(10000):
            table["key-%d" % (n % entries)] = n
            n += 1
        time.sleep(0.005)


def main():
    entries, lifetime = int(sys.argv[1]), float(sys.argv[2])
    secret = sys.stdin.readline().strip()
    table = {"key-%d" % i: i for i in range(entries)}
    table["secret"] = secret
    threading.Thread(target=churn, args=(table, entries), daemon=True).start()
    threading.Timer(lifetime, os._exit, args=(0,)).start()
    print("ready", flush=True)
    sys.stdin.read()
    os._exit(0)


main()
