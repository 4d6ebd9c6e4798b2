package presetopt_test

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/outhook/outhook/internal/presetopt"
)

// A preset makes a Config with its own sentinel, applies the options, and
// sends to the Config's target.
func Example() {
	errInvalid := errors.New("mypreset: invalid option")
	c := presetopt.New(errInvalid)
	presetopt.BaseURL("http://127.0.0.1:8080/stand-in/")(&c)
	if err := c.Err(); err != nil {
		fmt.Println(err)
		return
	}
	raw := "https://hooks.example.com/v1/in?source=apono"
	u, _ := url.Parse(raw)
	fmt.Println(c.Target(raw, u), presetopt.Seconds(1500*time.Millisecond))

	presetopt.BaseURL("ftp://127.0.0.1")(&c)
	fmt.Println(errors.Is(c.Err(), errInvalid), c.Err())
	// Output:
	// http://127.0.0.1:8080/stand-in/v1/in?source=apono 2
	// true mypreset: invalid option: WithBaseURL needs an http or https URL with a host and no query
}
