package storage

import (
	"testing"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
