// Asio and Beast built once for the whole program (BOOST_*_SEPARATE_COMPILATION), so that
// the other translation units only instantiate templates.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
