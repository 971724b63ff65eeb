// goprobe: a Go program under the seccomp front end (issue 16, acceptance
// 3).  The Go runtime makes its own system calls (no libc), so the shim
// never reaches it, however it is linked.  The tests build it with
// CGO_ENABLED=0 and run one command per run; result lines as the C probes
// print them: "ok ..." or "err ENAME [CALL]".
//
//	goprobe read PATH                  the file's contents
//	goprobe many DIR NFILES G READS    G goroutines, READS reads each of
//	                                   DIR/f<i> ("file I\n"), every one
//	                                   checked: "ok reads=N wrong=W failed=F"
//	goprobe http ADDR [FILE]           net/http on ADDR, "ready" once it
//	                                   listens; / says "hello from go",
//	                                   /file is FILE, read per request
//	goprobe icmp                       raw ICMP echo to 127.0.0.1: "ok echo reply"
//	goprobe udp ADDR                   a UDP server on ADDR answers "pong"
//	                                   to a client's "ping": "ok got=pong"
package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var names = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.EACCES: "EACCES",
	syscall.EINTR: "EINTR", syscall.EBADF: "EBADF", syscall.ENOSYS: "ENOSYS",
	syscall.EINVAL: "EINVAL", syscall.EADDRINUSE: "EADDRINUSE",
	syscall.EADDRNOTAVAIL: "EADDRNOTAVAIL", syscall.EAFNOSUPPORT: "EAFNOSUPPORT",
	syscall.EPROTONOSUPPORT: "EPROTONOSUPPORT",
}

// errname: "EACCES" for an error that carries EACCES, else the error's text.
func errname(err error) string {
	var e syscall.Errno

	if errors.As(err, &e) {
		if n, ok := names[e]; ok {
			return n
		}
		return "E" + strconv.Itoa(int(e))
	}
	return err.Error()
}

func readFile(args []string) {
	b, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Printf("err %s\n", errname(err))
		return
	}
	os.Stdout.Write(b)
}

func many(args []string) {
	dir := args[0]
	nfiles, _ := strconv.Atoi(args[1])
	g, _ := strconv.Atoi(args[2])
	reads, _ := strconv.Atoi(args[3])
	var n, wrong, failed int64
	var wg sync.WaitGroup

	for i := 0; i < g; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < reads; j++ {
				k := (i*7 + j) % nfiles
				b, err := os.ReadFile(fmt.Sprintf("%s/f%d", dir, k))
				atomic.AddInt64(&n, 1)
				if err != nil {
					atomic.AddInt64(&failed, 1)
				} else if string(b) != fmt.Sprintf("file %d\n", k) {
					atomic.AddInt64(&wrong, 1)
				}
			}
		}(i)
	}
	wg.Wait()
	fmt.Printf("ok reads=%d wrong=%d failed=%d\n", n, wrong, failed)
}

func serveHTTP(args []string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from go")
	})
	if len(args) > 1 {
		mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
			b, err := os.ReadFile(args[1])
			if err != nil {
				http.Error(w, "err "+errname(err), http.StatusInternalServerError)
				return
			}
			w.Write(b)
		})
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Printf("err %s listen\n", errname(err))
		return
	}
	fmt.Println("ready")
	http.Serve(ln, mux)
}

func checksum(b []byte) uint16 {
	var sum uint32

	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	sum = sum>>16 + sum&0xffff
	sum += sum >> 16
	return ^uint16(sum)
}

func icmp(args []string) {
	c, err := net.ListenPacket("ip4:icmp", "127.0.0.1")
	if err != nil {
		fmt.Printf("err %s socket\n", errname(err))
		return
	}
	id := os.Getpid() & 0xffff
	req := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), 0, 1, 'f', 'd', 'b'}
	cs := checksum(req)
	req[2], req[3] = byte(cs>>8), byte(cs)
	if _, err := c.WriteTo(req, &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		fmt.Printf("err %s sendto\n", errname(err))
		return
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	// the socket sees every ICMP message to 127.0.0.1: our request, other tests' pings
	for {
		buf := make([]byte, 1500)
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			fmt.Printf("err %s reply\n", errname(err))
			return
		}
		if n >= 8 && buf[0] == 0 && int(buf[4])<<8|int(buf[5]) == id {
			fmt.Println("ok echo reply")
			return
		}
	}
}

func udp(args []string) {
	srv, err := net.ListenPacket("udp", args[0])
	if err != nil {
		fmt.Printf("err %s bind\n", errname(err))
		return
	}
	cl, err := net.Dial("udp", args[0])
	if err != nil {
		fmt.Printf("err %s dial\n", errname(err))
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	srv.SetDeadline(deadline)
	cl.SetDeadline(deadline)
	buf := make([]byte, 64)
	cl.Write([]byte("ping"))
	n, from, err := srv.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping" {
		fmt.Printf("err server read %v\n", err)
		return
	}
	srv.WriteTo([]byte("pong"), from)
	n, err = cl.Read(buf)
	if err != nil {
		fmt.Printf("err client read %v\n", err)
		return
	}
	fmt.Printf("ok got=%s\n", buf[:n])
}

func main() {
	cmds := map[string]struct {
		nargs int
		fn    func([]string)
	}{
		"read": {1, readFile}, "many": {4, many}, "http": {1, serveHTTP},
		"icmp": {0, icmp}, "udp": {1, udp},
	}
	if len(os.Args) > 1 {
		if c, ok := cmds[os.Args[1]]; ok && len(os.Args)-2 >= c.nargs {
			c.fn(os.Args[2:])
			return
		}
	}
	fmt.Fprintln(os.Stderr, "usage: goprobe read|many|http|icmp|udp ARGS...")
	os.Exit(2)
}
