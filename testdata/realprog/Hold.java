// Hold.java: a JVM target for the real-program suite (internal/realprog).
//
// usage: java [-XX:+UseG1GC | -XX:+UseParallelGC] -Xmx2g Hold HELD_MIB LIFETIME_S
//
// Reads the secret, one line, from stdin and keeps it as a String on the
// Java heap. Holds HELD_MIB arrays of byte[1<<20], each page of them
// written, while 4 threads keep allocating short-lived arrays of 1 to 16
// KiB (at most about 64 KiB a millisecond each, so that the heap does not
// grow to its maximum on an idle machine and the test stays short). Prints
// "ready" on stdout once everything is in place, then runs until stdin
// closes or LIFETIME_S seconds have passed.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;

public class Hold {
    static volatile String secret;
    static final List<byte[]> held = new ArrayList<>();
    static volatile long sink;

    public static void main(String[] args) throws Exception {
        int heldMiB = Integer.parseInt(args[0]);
        long lifetimeMs = Long.parseLong(args[1]) * 1000;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line = in.readLine();
        if (line == null) {
            System.exit(1);
        }
        secret = new String(line.trim().toCharArray());
        for (int i = 0; i < heldMiB; i++) {
            byte[] b = new byte[1 << 20];
            for (int j = 0; j < b.length; j += 4096) {
                b[j] = (byte) (i + j / 4096);
            }
            held.add(b);
        }
        for (int t = 0; t < 4; t++) {
            Thread a = new Thread(Hold::allocate, "allocator-" + t);
            a.setDaemon(true);
            a.start();
        }
        System.out.println("ready");
        System.out.flush();
        Thread eof = new Thread(() -> {
            try {
                while (in.read() >= 0) {
                }
            } catch (Exception e) {
            }
            System.exit(0);
        }, "stdin-eof");
        eof.setDaemon(true);
        eof.start();
        Thread.sleep(lifetimeMs);
        System.exit(0);
    }

    // allocate keeps a small ring of arrays alive and replaces one at a
    // time, so young collections run all the time and some survive them.
    static void allocate() {
        byte[][] ring = new byte[64][];
        for (long n = 1; ; n++) {
            byte[] b = new byte[(int) (n % 16 + 1) * 1024];
            b[0] = (byte) n;
            ring[(int) (n % ring.length)] = b;
            sink += b.length;
            if (n % 8 == 0) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
