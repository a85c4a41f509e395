// Asio and Beast compiled once for the test binary (feast_kube is built with
// BOOST_*_SEPARATE_COMPILATION, like feast_server).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
