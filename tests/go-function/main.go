// A Go function for fmc's tests. It stands in for one built with the Go
// Functions SDK (github.com/apache/pulsar/pulsar-function-go), which the Go
// module proxy the project's machines use does not serve: it takes the
// instance configuration as the SDK's conf package does (`-instance-conf
// JSON` or `-instance-conf-path FILE`, the field names of its conf struct)
// and runs the shape of the SDK's loop on Apache Pulsar's Go client: consume
// every input topic on one subscription, call the function, send its result
// to the output topic, acknowledge the input once the broker has the output.
//
// The function appends "!" to its input. Each output carries the instance
// number and function id it was started with (properties `instance`,
// `funcID`), so a test sees what the launcher filled in.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/apache/pulsar-client-go/pulsar"
)

// conf holds the fields of the SDK's instance configuration this loop uses.
type conf struct {
	PulsarServiceURL     string            `json:"pulsarServiceURL"`
	InstanceID           int               `json:"instanceID"`
	FuncID               string            `json:"funcID"`
	Tenant               string            `json:"tenant"`
	NameSpace            string            `json:"nameSpace"`
	Name                 string            `json:"name"`
	SubscriptionName     string            `json:"subscriptionName"`
	SourceSpecsTopic     string            `json:"sourceSpecsTopic"`
	SourceInputSpecs     map[string]string `json:"sourceInputSpecs"`
	SinkSpecsTopic       string            `json:"sinkSpecsTopic"`
	ProcessingGuarantees int               `json:"processingGuarantees"`
	AutoAck              bool              `json:"autoAck"`
	UserConfig           string            `json:"userConfig"`
	MetricsPort          int               `json:"metricsPort"`
}

func readConf() conf {
	inline := flag.String("instance-conf", "", "the instance configuration, JSON")
	path := flag.String("instance-conf-path", "", "a file holding the instance configuration")
	flag.Parse()
	text := []byte(*inline)
	if *path != "" {
		var err error
		if text, err = os.ReadFile(*path); err != nil {
			log.Fatalf("cannot read %s: %v", *path, err)
		}
	}
	var c conf
	if err := json.Unmarshal(text, &c); err != nil {
		log.Fatalf("the instance configuration: %v", err)
	}
	return c
}

// topics are the inputs: every key of sourceInputSpecs, else sourceSpecsTopic.
func (c conf) topics() []string {
	var out []string
	for t := range c.SourceInputSpecs {
		out = append(out, t)
	}
	sort.Strings(out)
	if len(out) == 0 && c.SourceSpecsTopic != "" {
		out = append(out, c.SourceSpecsTopic)
	}
	return out
}

// subscription is the SDK's default when none is configured: tenant/namespace/name.
func (c conf) subscription() string {
	if c.SubscriptionName != "" {
		return c.SubscriptionName
	}
	return fmt.Sprintf("%s/%s/%s", c.Tenant, c.NameSpace, c.Name)
}

func exclaim(input []byte) []byte {
	return append(append([]byte{}, input...), '!')
}

func main() {
	c := readConf()
	log.Printf("instance %d of %s/%s/%s: %v -> %s", c.InstanceID, c.Tenant, c.NameSpace, c.Name, c.topics(), c.SinkSpecsTopic)
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: c.PulsarServiceURL})
	if err != nil {
		log.Fatalf("client: %v", err)
	}
	defer client.Close()
	consumer, err := client.Subscribe(pulsar.ConsumerOptions{
		Topics:                      c.topics(),
		SubscriptionName:            c.subscription(),
		Type:                        pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		log.Fatalf("subscribe: %v", err)
	}
	defer consumer.Close()
	producer, err := client.CreateProducer(pulsar.ProducerOptions{Topic: c.SinkSpecsTopic})
	if err != nil {
		log.Fatalf("producer: %v", err)
	}
	defer producer.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	properties := map[string]string{"instance": fmt.Sprint(c.InstanceID), "funcID": c.FuncID}
	for {
		msg, err := consumer.Receive(ctx)
		if err != nil {
			return // stopped
		}
		out := &pulsar.ProducerMessage{Payload: exclaim(msg.Payload()), Properties: properties}
		if _, err := producer.Send(ctx, out); err != nil {
			consumer.Nack(msg)
			continue
		}
		if err := consumer.Ack(msg); err != nil {
			log.Printf("ack: %v", err)
		}
	}
}
