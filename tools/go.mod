module fupin.dev/tools

go 1.26

require (
	fupin.dev/gateway v0.0.0
	fupin.dev/proto v0.0.0
	fupin.dev/services v0.0.0
)

replace (
	fupin.dev/gateway => ../gateway
	fupin.dev/proto => ../proto
	fupin.dev/services => ../services
)
