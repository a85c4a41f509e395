// The socket of an accepted connection: bound to the plain executor of the event loop
// that owns it (event_loops.h). Each loop is run by one thread, so a connection's steps
// never run concurrently and need no strand; and the executor's concrete type, instead of
// Asio's type-erased any_io_executor, spares each asynchronous step the type erasure's
// copies and indirect calls (test/bench/README.md has the profiles).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace feast {

using ConnectionExecutor = boost::asio::io_context::executor_type;
using ConnectionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionExecutor>;

}  // namespace feast
