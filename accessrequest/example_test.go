package accessrequest_test

import (
	"fmt"

	"github.com/outhook/outhook/accessrequest"
)

func ExampleMock() {
	e, _ := accessrequest.Mock(accessrequest.Rejected)
	var req accessrequest.Event
	_ = e.Decode(&req)
	fmt.Println(e.Type(), req.Data.FriendlyID, req.Data.Requester.Name, "for", req.Data.Grantee.Name)
	// Output:
	// RequestRejected AR-2203 Marcus Whitfield for Pauline Dubois
}
