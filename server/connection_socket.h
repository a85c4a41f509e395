// The socket of an accepted connection: bound to a strand of its own, with the strand's
// concrete type instead of Asio's type-erased any_io_executor, so that each asynchronous
// step of a session dispatches without the type erasure's copies and indirect calls
// (~4 % of a keep-alive request's CPU in the profile of test/bench/README.md).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

namespace feast {

using ConnectionStrand = boost::asio::strand<boost::asio::io_context::executor_type>;
using ConnectionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionStrand>;

}  // namespace feast
