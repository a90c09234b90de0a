// Command etcd runs a single-member, loopback-only etcd for end-to-end tests.
// It embeds the etcd server at the version k8s.io/kubernetes itself pins.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for etcd data (required)")
	clientPort := flag.Int("client-port", 0, "127.0.0.1 port for clients (required)")
	peerPort := flag.Int("peer-port", 0, "127.0.0.1 port for the (unused) peer listener (required)")
	flag.Parse()
	if *dataDir == "" || *clientPort == 0 || *peerPort == 0 {
		log.Fatal("etcd: --data-dir, --client-port and --peer-port are required")
	}

	e, err := embed.StartEtcd(newConfig(*dataDir, *clientPort, *peerPort))
	if err != nil {
		log.Fatalf("etcd: start failed: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		log.Printf("etcd: ready on 127.0.0.1:%d", *clientPort)
	case <-time.After(60 * time.Second):
		e.Close()
		log.Fatal("etcd: not ready after 60s")
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-stop:
		log.Printf("etcd: %v received, stopping", sig)
		e.Close()
	case err := <-e.Err():
		e.Close()
		log.Fatalf("etcd: server failed: %v", err)
	}
}

// newConfig builds a single-member config bound to 127.0.0.1 only.
func newConfig(dataDir string, clientPort, peerPort int) *embed.Config {
	client := loopbackURL(clientPort)
	peer := loopbackURL(peerPort)
	cfg := embed.NewConfig()
	cfg.Name = "test"
	cfg.Dir = dataDir
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "warn"
	// Throwaway test data: skipping fsync makes startup and writes much faster.
	cfg.UnsafeNoFsync = true
	return cfg
}

func loopbackURL(port int) url.URL {
	return url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port)}
}
